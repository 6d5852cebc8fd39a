/// Where a workflow run stands. The raw values are what stores write and `wippy workflow list` prints.
///
/// `completed`, `failed`, `cancelled` and `terminated` are final: a store accepts no more events or status
/// changes for a run in one of them. `blocked` (its code diverged from its journal) and `paused` (an
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

    /// True for the statuses a run never leaves.
    public var isFinal: Bool {
        switch self {
        case .completed, .failed, .cancelled, .terminated: true
        case .running, .blocked, .paused: false
        }
    }

    public var description: String { rawValue }
}
