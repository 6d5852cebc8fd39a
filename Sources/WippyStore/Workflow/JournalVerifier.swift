import WippyCore

/// Checks a run's journal as a load reads it, event by event in sequence order: contiguous from 1, each
/// event matching its ``JournalChecksum``, and ending at the run's recorded last event. Both stores load
/// through it, so a damaged journal reads the same from either: an error naming the run and the seq,
/// never a shorter or changed history.
struct JournalVerifier {
    /// Makes the error for damage at `seq`.
    typealias Damage = (_ seq: UInt64, _ problem: String) -> WippyError

    let run: WorkflowRunID
    let lastSeq: UInt64
    let damage: Damage
    private(set) var events: [JournalEvent] = []
    private var expected: UInt64 = 1

    init(run: WorkflowRunID, lastSeq: UInt64, damage: @escaping Damage) {
        self.run = run
        self.lastSeq = lastSeq
        self.damage = damage
        // Capped: a damaged `last_seq` must not ask for a huge allocation before the journal says it is wrong.
        events.reserveCapacity(Int(clamping: min(lastSeq, 1 << 22)))
    }

    /// The next stored event; nil fields are an empty column. `time` is when it was stored (nil when the
    /// store kept no time for it); it is not checked.
    mutating func add(
        seq: UInt64, kind: String?, key: String?, payload: [UInt8]?, checksum: Int64?, time: Int64? = nil
    ) throws(WippyError) {
        guard seq == expected else {
            guard seq > expected else { throw damage(seq, "it is not a valid sequence number") }
            let missing = seq == expected + 1 ? "is missing" : "to \(seq - 1) are missing"
            throw damage(expected, "event \(expected) \(missing)")
        }
        guard seq <= lastSeq else { throw damage(seq, "the journal goes past its recorded last event \(lastSeq)") }
        guard let kind, let key, let payload, let checksum else { throw damage(seq, "the event has an empty field") }
        guard JournalChecksum.matches(checksum, run, seq: seq, kind: kind, key: key, payload: payload) else {
            throw damage(seq, "the event does not match its checksum")
        }
        events.append(JournalEvent(seq: seq, kind: kind, key: key, payload: payload, time: time))
        expected += 1
    }

    /// The whole journal, once the last stored event was added.
    func finish() throws(WippyError) -> [JournalEvent] {
        guard expected - 1 == lastSeq else {
            let missing = expected == lastSeq ? "event \(expected) is missing" : "events \(expected) to \(lastSeq) are missing"
            throw damage(expected, "the journal ends early: \(missing)")
        }
        return events
    }
}
