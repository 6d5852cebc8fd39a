public import WippyCore
import WippyCodecs

/// How an activity is retried and timed (durable-cluster-ai §1.2): the `activity.*` options of
/// `funcs.new():with_options{...}`. Durations are milliseconds or Go duration strings.
public struct WorkflowActivityPolicy: Sendable, Equatable {
    /// `activity.start_to_close_timeout`: one attempt may run this long (default 10 minutes).
    public var startToClose: Int64 = 600_000_000_000
    /// `retry_policy.initial_interval` (default 1 s).
    public var initialInterval: Int64 = 1_000_000_000
    /// `retry_policy.backoff_coefficient` (default 2).
    public var backoff: Double = 2
    /// `retry_policy.maximum_interval` (default 100 × the initial interval).
    public var maximumInterval: Int64?
    /// `retry_policy.maximum_attempts` (0: unlimited).
    public var maximumAttempts: Int = 0
    /// `retry_policy.non_retryable_error_types`: error kinds never retried.
    public var nonRetryableKinds: Set<String> = []
    /// `retry_policy.on_exhausted = "pause"`: when retries run out, pause the run for an operator instead of
    /// handing the error to the workflow (our addition).
    public var pauseWhenExhausted = false

    public init() {}

    /// Reads the options payload of an executor (`activity.*` keys, flat or nested).
    public init(options: Payload) {
        // No options (the common `funcs.call`): the defaults, without building the keys looked up below.
        guard let table = options.tableValue, !table.isEmpty else { return }
        func field(_ name: String) -> Payload? {
            options["activity.\(name)"] ?? options["activity"]?[name]
        }
        if let timeout = field("start_to_close_timeout").flatMap(WorkflowActivityPolicy.nanoseconds) { startToClose = timeout }
        guard let retry = field("retry_policy"), retry.tableValue != nil else { return }
        if let value = retry["initial_interval"].flatMap(WorkflowActivityPolicy.nanoseconds) { initialInterval = value }
        if let value = retry["backoff_coefficient"]?.doubleValue, value >= 1 { backoff = value }
        if let value = retry["maximum_interval"].flatMap(WorkflowActivityPolicy.nanoseconds) { maximumInterval = value }
        if let value = retry["maximum_attempts"]?.intValue, value >= 0 { maximumAttempts = Int(value) }
        if let kinds = retry["non_retryable_error_types"]?.tableValue?.array {
            nonRetryableKinds = Set(kinds.compactMap(\.stringValue))
        }
        pauseWhenExhausted = retry["on_exhausted"]?.stringValue == "pause"
    }

    /// The delay before attempt `attempt + 1` after `error` failed attempt `attempt` (1-based), or nil when
    /// the error is final.
    public func retryDelay(after error: WippyError, attempt: Int) -> Int64? {
        guard error.retryable == true, !nonRetryableKinds.contains(error.kind.rawValue) else { return nil }
        if maximumAttempts > 0 && attempt >= maximumAttempts { return nil }
        let cap = maximumInterval ?? initialInterval * 100
        var delay = Double(initialInterval)
        for _ in 1..<max(attempt, 1) { delay *= backoff }
        return min(Int64(min(delay, 9e18)), cap)
    }

    /// True when the final failure `error` (no retry left) pauses the run: under `on_exhausted: pause`, for
    /// an error that was retried until the attempts ran out (a non-retryable error goes to the workflow).
    public func pauses(after error: WippyError) -> Bool {
        pauseWhenExhausted && error.retryable == true && !nonRetryableKinds.contains(error.kind.rawValue)
    }

    /// A duration given as milliseconds (number) or a Go duration string.
    static func nanoseconds(_ value: Payload) -> Int64? {
        if let number = value.doubleValue, value.stringValue == nil { return number > 0 ? Int64(number * 1_000_000) : nil }
        guard let text = value.stringValue else { return nil }
        guard let duration = try? GoDuration.parse(text), duration.nanoseconds > 0 else { return nil }
        return Int64(duration.nanoseconds)
    }
}
