/// When a run next needs a node: its timer row. A store keeps one wake time per run (`wake_at`), which a
/// write sets with ``WorkflowWrite/wake``; ``WorkflowSignalStore/dueRuns(before:limit:completion:)`` lists
/// the runs whose time has come, and a cluster store claims runs only when they are ready
/// (``WorkflowLeaseStore``). A pending signal makes a parked run ready whatever its wake time.
public enum WorkflowWake: Sendable, Hashable {
    /// The run has work now (the default of a new run): a node should hold it.
    case now
    /// Parked until this time (Unix milliseconds), or until a signal arrives: the earliest durable timer
    /// of the run.
    case at(milliseconds: Int64)
    /// Parked until a signal arrives; no timer.
    case onSignal

    /// The stored value: nil for ``now``, `Int64.max` for ``onSignal``.
    public var storedValue: Int64? {
        switch self {
        case .now: nil
        case .at(let milliseconds): milliseconds
        case .onSignal: Int64.max
        }
    }

    /// The wake of a stored value.
    public init(storedValue: Int64?) {
        switch storedValue {
        case nil: self = .now
        case Int64.max?: self = .onSignal
        case let value?: self = .at(milliseconds: value)
        }
    }
}
