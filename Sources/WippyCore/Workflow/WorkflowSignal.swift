/// A signal recorded for a workflow (`process.send` to a workflow PID, an operator's `wippy workflow
/// signal`): a row from the moment its recording is acknowledged until the run that delivers it takes it.
///
/// Signals are addressed to a workflow id, not to a run: a continue-as-new run receives what its
/// predecessor left pending. ``id`` orders them: a workflow's pending signals are delivered in id order.
public struct WorkflowSignal: Sendable, Hashable {
    /// Assigned by the store; increasing in the order the signals were recorded.
    public var id: UInt64
    public var workflowID: String
    public var topic: String
    /// The sender's PID, as text (what `msg:from()` returns).
    public var sender: String
    /// The message, encoded by the sender's side.
    public var payload: [UInt8]

    public init(id: UInt64, workflowID: String, topic: String, sender: String, payload: [UInt8]) {
        self.id = id
        self.workflowID = workflowID
        self.topic = topic
        self.sender = sender
        self.payload = payload
    }
}

/// A hint that a workflow may have new work: a signal was recorded for it, or a run of it was released or
/// started without an owner. Hints can be lost (a dropped connection) or repeated; an engine polls as well.
public struct WorkflowWakeup: Sendable, Hashable {
    public enum Reason: String, Sendable, Hashable {
        /// A signal was recorded for the workflow.
        case signal
        /// A run of the workflow has no owner now (started unowned, or released): a node may claim it.
        case claimable
    }

    public var workflowID: String
    public var reason: Reason

    public init(workflowID: String, reason: Reason) {
        self.workflowID = workflowID
        self.reason = reason
    }
}

/// A run whose wake time has come (``WorkflowSignalStore/dueRuns(before:limit:completion:)``).
public struct WorkflowDueRun: Sendable, Hashable {
    public var run: WorkflowRunID
    /// The stored wake time, Unix milliseconds.
    public var wakeAt: Int64

    public init(run: WorkflowRunID, wakeAt: Int64) {
        self.run = run
        self.wakeAt = wakeAt
    }
}
