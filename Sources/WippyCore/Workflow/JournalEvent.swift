/// One step of a workflow run's journal: a command the workflow emitted or an event delivered to it, in
/// the order replay must see them.
///
/// Sequence numbers start at 1 and are contiguous per run: a store accepts event `n + 1` only after event
/// `n`, and a journal with a hole is damaged, never a shorter history.
public struct JournalEvent: Sendable, Equatable {
    public var seq: UInt64
    /// What happened (`call`, `call_result`, `timer`, `signal`, ...), named by the engine.
    public var kind: String
    /// What replay matches the command against (a function id, a timer name, a version change id); may be
    /// empty.
    public var key: String
    /// The event's data, encoded by the engine.
    public var payload: [UInt8]

    public init(seq: UInt64, kind: String, key: String = "", payload: [UInt8] = []) {
        self.seq = seq
        self.kind = kind
        self.key = key
        self.payload = payload
    }
}
