/// Where a workflow run stands. The raw values are what stores write and `wippy workflow list` prints.
///
/// `completed`, `failed`, `cancelled`, `terminated` and `continued` are final: a store accepts no more events or
/// status changes for a run in one of them. `continued` ends a run that continued as new (`process.upgrade` in
/// a workflow): its result names the successor run of the same workflow id, created in the same commit. `blocked` (its code diverged from its journal) and `paused` (an
/// activity ran out of retries under a pause policy) wait for an operator; `running` covers everything else,
/// including a run parked in a sleep or waiting for a signal.
public enum WorkflowStatus: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case running
    case completed
    case failed
    case cancelled
    case terminated
    case blocked
    case paused
    case continued

    /// True for the statuses a run never leaves.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .cancelled, .terminated, .continued: true
        case .running, .blocked, .paused: false
        }
    }

    public var description: String { rawValue }
}
