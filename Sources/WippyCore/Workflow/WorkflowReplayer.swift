/// The replay state machine of one run: matches the commands its code issues against the journal, hands out
/// the journaled events in order, and numbers what is new. No threads, no clock, no Lua: the session that
/// runs the code drives it.
///
/// Commands and events are two sequences interleaved in one journal. Commands are matched in journal order,
/// skipping events; events are delivered in journal order, skipping commands, only when the code is blocked
/// (the session's rule), so a replay sees every event at the same point of the code as the first run did.
/// Once a sequence is used up it is live: a new command or event gets the next sequence number.
public struct WorkflowReplayer: Sendable {
    /// The journal being replayed; emptied once both cursors have passed it (a long history is not kept).
    private var journal: [JournalEvent]
    private var commandCursor = 0
    private var eventCursor = 0
    /// The last sequence number used, journaled or new.
    public private(set) var lastSeq: UInt64
    /// Commands (by seq) whose answer (`result`, `fired`, `exit`) is in the journal.
    private var answered: Set<UInt64> = []
    /// Child workflows (by the seq of their `spawn`) whose `exit` is in the journal.
    private var exited: Set<UInt64> = []
    /// Journal events replayed so far, and all events of the run: what `workflow.history_length` reports.
    public private(set) var historyLength: Int
    /// Bytes of payload in the history: what `workflow.history_size` reports.
    public private(set) var historySize: Int

    /// The event kinds that answer a command; their key is the command's seq.
    public static let answerKinds: Set<String> = ["result", "fired", "exit", "started_child"]

    public init(journal: [JournalEvent]) {
        self.journal = journal
        lastSeq = journal.last?.seq ?? 0
        historyLength = journal.count
        historySize = journal.reduce(0) { $0 + $1.payload.count + $1.key.utf8.count }
        for event in journal where WorkflowReplayer.answerKinds.contains(event.kind) {
            if let seq = UInt64(event.key) {
                answered.insert(seq)
                if event.kind == "exit" { exited.insert(seq) }
            }
        }
        commandCursor = WorkflowReplayer.skip(in: journal, from: 0, commands: true)
        eventCursor = WorkflowReplayer.skip(in: journal, from: 0, commands: false)
        releaseIfDone()
    }

    /// What happened to an issued command.
    public enum Issued: Sendable, Equatable {
        /// The journal holds it: use the recorded event (its payload) and do not act again.
        case replayed(JournalEvent)
        /// New: journal this event, and act once it is durable.
        case new(JournalEvent)
        /// The code diverged from its journal.
        case diverged(WorkflowDivergence)
    }

    /// True while journaled commands remain to be matched.
    public var isReplayingCommands: Bool { nextCommandIndex() != nil }

    /// True while journaled events remain to be delivered.
    public var isReplayingEvents: Bool { nextEventIndex() != nil }

    /// Matches `command` against the next journaled command, or numbers it as new.
    public mutating func issue(_ command: WorkflowCommand, payload: [UInt8]) -> Issued {
        if let index = nextCommandIndex() {
            let recorded = journal[index]
            guard recorded.kind == command.journalKind, recorded.key == command.key else {
                let expected = recorded.key.isEmpty ? recorded.kind : "\(recorded.kind) \(recorded.key)"
                return .diverged(WorkflowDivergence(seq: recorded.seq, expected: expected, actual: command.summary))
            }
            commandCursor = WorkflowReplayer.skip(in: journal, from: index + 1, commands: true)
            releaseIfDone()
            return .replayed(recorded)
        }
        return .new(appendNew(kind: command.journalKind, key: command.key, payload: payload))
    }

    /// The next journaled event to deliver (skipping commands), or nil when none is left.
    public mutating func nextEvent() -> JournalEvent? {
        guard let index = nextEventIndex() else { return nil }
        eventCursor = WorkflowReplayer.skip(in: journal, from: index + 1, commands: false)
        let event = journal[index]
        releaseIfDone()
        return event
    }

    /// Numbers a new event (an activity result, a fired timer, a signal) that arrived live.
    public mutating func append(kind: String, key: String = "", payload: [UInt8]) -> JournalEvent {
        appendNew(kind: kind, key: key, payload: payload)
    }

    /// True when the journal holds the answer of the command at `seq` (so its effect need not be restarted).
    public func isAnswered(_ seq: UInt64) -> Bool { answered.contains(seq) }

    /// True when the journal holds the `exit` of the child workflow started at `seq`.
    public func isExited(_ seq: UInt64) -> Bool { exited.contains(seq) }

    /// The first journaled command not yet matched, when the code ended or blocked for good with it left.
    public func unmatchedCommand(actual: String) -> WorkflowDivergence? {
        guard let index = nextCommandIndex() else { return nil }
        let recorded = journal[index]
        let expected = recorded.key.isEmpty ? recorded.kind : "\(recorded.kind) \(recorded.key)"
        return WorkflowDivergence(seq: recorded.seq, expected: expected, actual: actual)
    }

    // MARK: - Private

    private mutating func appendNew(kind: String, key: String, payload: [UInt8]) -> JournalEvent {
        lastSeq += 1
        historyLength += 1
        historySize += payload.count + key.utf8.count
        return JournalEvent(seq: lastSeq, kind: kind, key: key, payload: payload)
    }

    // The cursors always rest on the next entry of their sequence (or the end), so each entry is looked at
    // once by each cursor, however the two sequences interleave.
    private func nextCommandIndex() -> Int? { commandCursor < journal.count ? commandCursor : nil }

    private func nextEventIndex() -> Int? { eventCursor < journal.count ? eventCursor : nil }

    /// The index of the first command (or event) at or after `start`.
    private static func skip(in journal: [JournalEvent], from start: Int, commands: Bool) -> Int {
        var index = start
        while index < journal.count, WorkflowCommand.journalKinds.contains(journal[index].kind) != commands { index += 1 }
        return index
    }

    /// Drops the journal once both cursors have passed it.
    private mutating func releaseIfDone() {
        guard !journal.isEmpty, nextCommandIndex() == nil, nextEventIndex() == nil else { return }
        journal = []
        commandCursor = 0
        eventCursor = 0
    }
}
