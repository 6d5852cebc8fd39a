import WippyCore
public import WippyLua
public import WippyRuntime
import WippyResources

/// The `metrics` module (lua-api-io §8.4): counters, gauges and histograms in the runtime's
/// ``WippyResources/MetricsCollector`` (exposed on the Prometheus endpoint). Each call returns `true`, or
/// `nil, err`: `INTERNAL` "metrics collector not available" when metrics are off (no `prometheus.enabled`
/// in `.wippy.yaml`), `INVALID` for a name used before as another type or with other labels.
///
/// Labels: a table whose string keys with string values are kept (others are dropped silently).
/// Recording only touches memory: nothing waits.
public struct MetricsModule: LuaModule {
    public let name = "metrics"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 6)
        lua.setFunctions(
            [
                ("counter_inc", Self.counterInc), ("counter_add", Self.counterAdd), ("gauge_set", Self.gaugeSet),
                ("gauge_inc", Self.gaugeInc), ("gauge_dec", Self.gaugeDec), ("histogram", Self.histogram),
            ], in: -1)
    }

    static let unavailable = WippyError("metrics collector not available", kind: .internal, retryable: false)

    /// Reads `name`, an optional value at `valueIndex`, labels after it, then records.
    static func record(
        _ lua: Lua, valueIndex: Int32?, _ body: (MetricsCollector, String, Double, [(String, String)]) throws(WippyError) -> Void
    ) -> Int32 {
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 1) == .string, let name = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        var value = 1.0
        if let valueIndex {
            guard lua.type(at: valueIndex) == .number, let number = lua.number(at: valueIndex) else {
                return lua.typeError(valueIndex, expected: "number")
            }
            value = number
        }
        let labelIndex = (valueIndex ?? 1) + 1
        var labels: [(String, String)] = []
        switch lua.type(at: labelIndex) {
        case .none, .nil:
            break
        case .table:
            lua.pushNil()
            while lua.next(labelIndex) {
                if lua.type(at: -2) == .string, lua.type(at: -1) == .string, let key = lua.string(at: -2), let text = lua.string(at: -1) {
                    labels.append((key, text))
                }
                lua.pop()
            }
        default:
            return lua.typeError(labelIndex, expected: "table")
        }
        guard let collector = worker.runtime.resources.current(MetricsCollector.tableID) as? MetricsCollector else {
            return worker.fail(unavailable, on: lua)
        }
        do throws(WippyError) {
            try body(collector, name, value, labels)
            lua.push(true)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    static let counterInc: LuaNativeFunction = { state in
        record(Lua(state!), valueIndex: nil) { (collector, name, _, labels) throws(WippyError) in try collector.counterAdd(name, 1, labels: labels) }
    }

    static let counterAdd: LuaNativeFunction = { state in
        record(Lua(state!), valueIndex: 2) { (collector, name, value, labels) throws(WippyError) in try collector.counterAdd(name, value, labels: labels) }
    }

    static let gaugeSet: LuaNativeFunction = { state in
        record(Lua(state!), valueIndex: 2) { (collector, name, value, labels) throws(WippyError) in try collector.gaugeSet(name, value, labels: labels) }
    }

    static let gaugeInc: LuaNativeFunction = { state in
        record(Lua(state!), valueIndex: nil) { (collector, name, _, labels) throws(WippyError) in try collector.gaugeAdd(name, 1, labels: labels) }
    }

    static let gaugeDec: LuaNativeFunction = { state in
        record(Lua(state!), valueIndex: nil) { (collector, name, _, labels) throws(WippyError) in try collector.gaugeAdd(name, -1, labels: labels) }
    }

    static let histogram: LuaNativeFunction = { state in
        record(Lua(state!), valueIndex: 2) { (collector, name, value, labels) throws(WippyError) in try collector.observe(name, value, labels: labels) }
    }
}
