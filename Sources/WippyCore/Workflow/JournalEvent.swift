/// One step of a workflow run's journal: a command the workflow emitted or an event delivered to it, in
/// the order replay must see them.
///
/// Sequence numbers start at 1 and are contiguous per run: a store accepts event `n + 1` only after event
/// `n`, and a journal with a hole is damaged, never a shorter history.
///
/// Equality compares what replay sees (seq, kind, key, payload), not ``time``: a store stamps the time of
/// an event it writes, so an event read back equals the one that was written.
public struct JournalEvent: Sendable, Equatable {
    public var seq: UInt64
    /// What happened (`call`, `call_result`, `timer`, `signal`, ...), named by the engine.
    public var kind: String
    /// What replay matches the command against (a function id, a timer name, a version change id); may be
    /// empty.
    public var key: String
    /// The event's data, encoded by the engine.
    public var payload: [UInt8]
    /// When the event was stored, in Unix milliseconds: set by a store on the events it loads (nil for
    /// events written before stores kept times); on a write, a time the engine chose (the store's clock
    /// when nil). Not part of the checksum, and not used by replay.
    public var time: Int64?

    public init(seq: UInt64, kind: String, key: String = "", payload: [UInt8] = [], time: Int64? = nil) {
        self.seq = seq
        self.kind = kind
        self.key = key
        self.payload = payload
        self.time = time
    }

    /// The bytes this event adds to its run's history size: its kind, key and payload.
    public var byteSize: Int { kind.utf8.count + key.utf8.count + payload.count }

    public static func == (lhs: JournalEvent, rhs: JournalEvent) -> Bool {
        lhs.seq == rhs.seq && lhs.kind == rhs.kind && lhs.key == rhs.key && lhs.payload == rhs.payload
    }
}
