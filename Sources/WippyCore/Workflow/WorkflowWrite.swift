/// One workflow's share of a journal commit: the run it creates (if any), its new events, and its new
/// status and result (if any). A store applies an item whole or not at all.
public struct WorkflowWrite: Sendable, Equatable {
    public var run: WorkflowRunID
    /// Set to create the run in the same commit as its first events. The store refuses it (`AlreadyExists`)
    /// when the run is already recorded.
    public var start: WorkflowRecord?
    /// New events; their sequence numbers continue the run's journal exactly (the first is the last
    /// stored one + 1) and follow each other.
    public var events: [JournalEvent]
    public var status: WorkflowStatus?
    /// Stored with `status` (a run's result once it ends).
    public var result: [UInt8]?
    /// The writing node's hold on the run, in a store shared by several nodes (``WorkflowLeaseStore``): the
    /// write is refused (`Conflict`, "lease lost: ...") unless it is the run's current owner and generation.
    /// On a start, the run is recorded as owned by `fence.owner` with generation 1 (the fence must say 1).
    /// A write without a fence is accepted only while no node holds a live lease on the run. Single-node
    /// stores (SQLite) ignore it.
    public var fence: WorkflowFence?
    /// The run's new wake time (its timer row); nil leaves it as it is. A final status clears it.
    public var wake: WorkflowWake?
    /// Pending signals (``WorkflowSignal/id``) of this run's workflow that this write delivers: the events
    /// record their delivery, and the store takes them in the same transaction, so a signal is delivered
    /// exactly once. The write is refused whole (`Conflict`) when one of them is not pending for the workflow.
    public var takeSignals: [UInt64]
    /// Continue-as-new: the run this write ends (its `status` must be ``WorkflowStatus/continued``) is followed
    /// by a new run of the same workflow, created in the same transaction with its first events (held by
    /// `fence`'s node with generation 1 when the write has a fence). The write is refused whole when the
    /// successor cannot be created, so a store never holds a continued run without its successor.
    public var successor: WorkflowSuccessor?

    public init(
        run: WorkflowRunID,
        events: [JournalEvent] = [],
        status: WorkflowStatus? = nil,
        result: [UInt8]? = nil,
        wake: WorkflowWake? = nil,
        fence: WorkflowFence? = nil,
        takeSignals: [UInt64] = []
    ) {
        self.run = run
        self.events = events
        self.status = status
        self.result = result
        self.fence = fence
        self.wake = wake
        self.takeSignals = takeSignals
    }

    /// The write that creates ``successor`` (nil without one).
    public var successorStart: WorkflowWrite? {
        guard let successor else { return nil }
        return .start(successor.record, events: successor.events, owner: fence?.owner)
    }

    /// Creates `record`'s run (with its status) and appends `events` to it; with `owner`, the run is held by
    /// that node (generation 1) from its first commit.
    public static func start(_ record: WorkflowRecord, events: [JournalEvent] = [], owner: String? = nil) -> WorkflowWrite {
        var write = WorkflowWrite(run: record.run, events: events)
        write.start = record
        write.fence = owner.map { WorkflowFence(owner: $0, generation: 1) }
        return write
    }
}
