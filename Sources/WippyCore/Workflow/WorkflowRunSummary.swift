/// A run as `wippy workflow list` shows it: its record, and how long its journal is, without the journal.
public struct WorkflowRunSummary: Sendable, Equatable {
    public var record: WorkflowRecord
    /// Events in the journal (the last sequence number).
    public var historyLength: UInt64
    /// Bytes of the journal: the sum of its events' ``JournalEvent/byteSize``.
    public var historySize: UInt64
    /// When the run was created and last written, in Unix milliseconds.
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(record: WorkflowRecord, historyLength: UInt64, historySize: UInt64, createdAt: Int64, updatedAt: Int64) {
        self.record = record
        self.historyLength = historyLength
        self.historySize = historySize
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension WorkflowRun {
    /// Bytes of the journal, as ``WorkflowRunSummary/historySize`` counts them.
    public var historySize: Int { events.reduce(0) { $0 + $1.byteSize } }
}
