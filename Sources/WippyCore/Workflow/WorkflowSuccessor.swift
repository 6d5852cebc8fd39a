/// The run that continues a workflow after `process.upgrade` (continue-as-new): a new run of the same
/// workflow id with its own record (entry, pinned code, arguments) and a fresh journal, created by the write
/// that ends the run it continues (``WorkflowWrite/successor``).
public struct WorkflowSuccessor: Sendable, Equatable {
    /// The new run's record; its workflow id is the continued run's.
    public var record: WorkflowRecord
    /// Its first events, from seq 1 (the start, then what it inherits: signals the continued run had not
    /// received).
    public var events: [JournalEvent]

    public init(record: WorkflowRecord, events: [JournalEvent]) {
        self.record = record
        self.events = events
    }
}
