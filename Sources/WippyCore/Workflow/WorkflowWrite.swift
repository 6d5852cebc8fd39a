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

    public init(
        run: WorkflowRunID,
        events: [JournalEvent] = [],
        status: WorkflowStatus? = nil,
        result: [UInt8]? = nil
    ) {
        self.run = run
        self.events = events
        self.status = status
        self.result = result
    }

    /// Creates `record`'s run (with its status) and appends `events` to it.
    public static func start(_ record: WorkflowRecord, events: [JournalEvent] = []) -> WorkflowWrite {
        var write = WorkflowWrite(run: record.run, events: events)
        write.start = record
        return write
    }
}
