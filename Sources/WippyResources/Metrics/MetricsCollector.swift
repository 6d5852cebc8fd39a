import CoreMetrics
public import Prometheus
import Synchronization
public import WippyCore

/// The runtime's metrics (lua-api-io §8.4, core §9): counters, gauges and histograms recorded through
/// swift-metrics into a Prometheus registry, which ``exposition()`` writes in the text format.
///
/// Names and label names come from Lua and configuration: they are made valid (characters outside
/// `[a-zA-Z0-9_:]` become `_`), and a name keeps the type and label names it was first used with (using
/// it as another type, or with other labels, is an error instead of the registry's crash).
///
/// When metrics are on it sits in the runtime's ``WippyCore/ResourceTable`` under ``tableID`` (the `metrics`
/// module finds it there; its absence means metrics are off).
public final class MetricsCollector: Resource {
    public static let tableID = EntryID(namespace: "wippy.metrics", name: "collector")
    public let kind = "metrics.collector"

    public func close() {}

    public enum Kind: String, Sendable {
        case counter, gauge, histogram
        /// A histogram of durations (in seconds; a different series type from value histograms).
        case durationHistogram = "duration histogram"
    }

    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    private let shapes = Mutex<[String: (kind: Kind, labels: [String])]>([:])

    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
    }

    /// Adds `value` (≥ 0) to a counter.
    public func counterAdd(_ name: String, _ value: Double, labels: [(String, String)] = []) throws(WippyError) {
        guard value >= 0, value.isFinite else { throw WippyError.invalid("counter \(name): cannot add \(value) (counters only go up)") }
        let (name, labels) = try shape(name, .counter, labels)
        // Whole amounts go to the counter's integer part, so a counter that only ever counted whole things
        // prints as an integer (`3`, not `3.0`); a fractional amount makes it print as a float from then on.
        if value == value.rounded(.towardZero), value < 0x1p62 {
            CoreMetrics.Counter(label: name, dimensions: labels, factory: factory).increment(by: Int64(value))
        } else {
            CoreMetrics.FloatingPointCounter(label: name, dimensions: labels, factory: factory).increment(by: value)
        }
    }

    public func gaugeSet(_ name: String, _ value: Double, labels: [(String, String)] = []) throws(WippyError) {
        let (name, labels) = try shape(name, .gauge, labels)
        CoreMetrics.Gauge(label: name, dimensions: labels, factory: factory).record(value)
    }

    /// Adds `delta` (may be negative) to a gauge.
    public func gaugeAdd(_ name: String, _ delta: Double, labels: [(String, String)] = []) throws(WippyError) {
        let (name, labels) = try shape(name, .gauge, labels)
        let meter = CoreMetrics.Meter(label: name, dimensions: labels, factory: factory)
        if delta >= 0 { meter.increment(by: delta) } else { meter.decrement(by: -delta) }
    }

    /// Records one observation in a histogram (the registry's default buckets).
    public func observe(_ name: String, _ value: Double, labels: [(String, String)] = []) throws(WippyError) {
        let (name, labels) = try shape(name, .histogram, labels)
        CoreMetrics.Recorder(label: name, dimensions: labels, aggregate: true, factory: factory).record(value)
    }

    /// Records a duration in a histogram of seconds.
    public func observe(_ name: String, duration: Duration, labels: [(String, String)] = []) throws(WippyError) {
        let (name, labels) = try shape(name, .durationHistogram, labels)
        let (seconds, attoseconds) = duration.components
        CoreMetrics.Timer(label: name, dimensions: labels, factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Every metric in Prometheus's text exposition format.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }

    /// The valid name and labels (sorted by name), checked against what the name was first used with.
    func shape(_ name: String, _ kind: Kind, _ labels: [(String, String)]) throws(WippyError) -> (String, [(String, String)]) {
        let name = Self.sanitize(name, colons: true)
        guard !name.isEmpty else { throw WippyError.invalid("metric name is empty") }
        var cleaned: [(String, String)] = []
        for (key, value) in labels {
            let key = Self.sanitize(key, colons: false)
            guard !key.isEmpty, !cleaned.contains(where: { $0.0 == key }) else { continue }
            cleaned.append((key, value))
        }
        cleaned.sort { $0.0 < $1.0 }
        let names = cleaned.map(\.0)
        let conflict = shapes.withLock { shapes -> (Kind, [String])? in
            if let existing = shapes[name] {
                return existing.kind == kind && existing.labels == names ? nil : (existing.kind, existing.labels)
            }
            shapes[name] = (kind, names)
            return nil
        }
        if let (existingKind, existingLabels) = conflict {
            if existingKind != kind { throw WippyError.invalid("metric \(name) is a \(existingKind.rawValue), not a \(kind.rawValue)") }
            throw WippyError.invalid(
                "metric \(name) has labels [\(existingLabels.joined(separator: ", "))], not [\(names.joined(separator: ", "))]")
        }
        return (name, cleaned)
    }

    static func sanitize(_ text: String, colons: Bool) -> String {
        var out = ""
        for (offset, scalar) in text.unicodeScalars.enumerated() {
            let letter = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_" || (colons && scalar == ":")
            let digit = scalar >= "0" && scalar <= "9"
            out.unicodeScalars.append(letter || (digit && offset > 0) ? scalar : "_")
        }
        return out
    }
}
