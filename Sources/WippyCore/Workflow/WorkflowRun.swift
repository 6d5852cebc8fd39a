/// A run as loaded from a store: its record and its whole journal in sequence order.
public struct WorkflowRun: Sendable, Equatable {
    public var record: WorkflowRecord
    public var events: [JournalEvent]

    public init(record: WorkflowRecord, events: [JournalEvent]) {
        self.record = record
        self.events = events
    }

    /// The sequence number of the last event (0 for an empty journal).
    public var lastSeq: UInt64 { events.last?.seq ?? 0 }
}
