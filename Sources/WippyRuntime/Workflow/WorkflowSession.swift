import DequeModule
import Foundation
public import WippyCore
public import WippyLua

/// One workflow run carried by a Lua process: the bridge between the code's commands and the journal.
///
/// Lives on the process's worker thread. It replays the journal through a ``WorkflowReplayer``, journals what
/// is new through the store, and acts only once the journal write is durable (an activity starts, a timer is
/// armed, a message is sent, the process resumes with an answer). Events (answers, fired timers, signals,
/// cancellation) reach the code only at block points, when none of its tasks can run, one at a time and in
/// journal order: so a replay sees every event at the same point of the code as the first run did.
public final class WorkflowSession {
    public let record: WorkflowRecord
    public var run: WorkflowRunID { record.run }
    let store: any WorkflowStore
    /// Told when the run ends, blocks or fails to write.
    let observer: any WorkflowSessionObserver
    unowned(unsafe) var process: LuaProcess!
    private var replayer: WorkflowReplayer
    /// The workflow clock in Unix nanoseconds: the time of the last event delivered.
    public private(set) var now: Int64 = 0
    /// The run's recorded random seed.
    public private(set) var seed: UInt64 = 0
    /// Live events journaled (queued or submitted) in sequence order, waiting for a block point.
    private var waiting = Deque<JournalEvent>()
    /// What an answer does, by the sequence number of the command it answers.
    private var resolvers: [UInt64: (Payload) -> Void] = [:]
    /// Events queued for the next write, and what runs once it is durable.
    private var unwritten: [JournalEvent] = []
    private var afterWrite: [() -> Void] = []
    /// Set while the session hands an item to the process itself (so the mailbox does not journal it again).
    var isDelivering = false
    /// Set once the code diverged from its journal: nothing more is journaled or delivered.
    public private(set) var divergence: String?
    /// Set once the run's end is being written.
    private(set) var isEnding = false
    /// Set for a replay check (``WorkflowReplayCheck``): the code runs against its journal and nothing acts.
    let check: WorkflowReplayCheck?
    /// Set while the run is paused (an activity ran out of retries under `on_exhausted: pause`): what an
    /// operator's resume runs.
    var pausedActivity: (() -> Void)?
    /// The divergence found (structured), and the code location that diverged.
    public private(set) var divergenceFound: (divergence: WorkflowDivergence, location: String?)?

    public init(
        record: WorkflowRecord, journal: [JournalEvent], store: any WorkflowStore, observer: any WorkflowSessionObserver,
        check: WorkflowReplayCheck? = nil
    ) {
        self.check = check
        self.record = record
        self.store = store
        self.observer = observer
        replayer = WorkflowReplayer(journal: journal)
        if let first = journal.first, first.kind == "start", let decoded = try? WorkflowJournalCodec.decodeEvent(first.payload) {
            now = decoded.time
            seed = UInt64(bitPattern: decoded.body["seed"]?.intValue ?? 0)
        }
    }

    /// The start event of a new run: its time and random seed.
    public static func startEvent(time: Int64, seed: UInt64) -> JournalEvent {
        JournalEvent(seq: 1, kind: "start", payload: WorkflowJournalCodec.event(time: time, .map([("seed", .int(Int64(bitPattern: seed)))])))
    }

    /// Attaches to the process that carries the run, before its code runs.
    func attach(to process: LuaProcess) {
        self.process = process
        process.workflow = self
        // The start event is the first event; what follows it is delivered at block points.
        if let first = replayer.nextEvent(), first.kind != "start" { deliver(first) }
        // Messages that reached the process before it started are journaled like any other.
        var early: [MailboxItem] = []
        process.cell.removeFromMailbox { item in
            early.append(item)
            return true
        }
        for item in early { arrived(item) }
    }

    /// The first journaled command the code has not issued (nil when every one was matched): `actual` says
    /// what the code did instead.
    func unmatchedCommand(actual: String) -> WorkflowDivergence? { replayer.unmatchedCommand(actual: actual) }

    /// True while journaled events remain to be delivered.
    var hasJournaledEvents: Bool { replayer.isReplayingEvents }

    public var historyLength: Int { replayer.historyLength }
    public var historySize: Int { replayer.historySize }
    public var isReplaying: Bool { replayer.isReplayingCommands || replayer.isReplayingEvents }

    static var wallClock: Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    // MARK: - Commands

    /// What an issued command turned into.
    enum Issue {
        /// Journaled before (replay): its recorded payload; `answered` when its answer is journaled too.
        case replayed(seq: UInt64, recorded: Payload, answered: Bool)
        /// New: journaled now; `act` runs once that is durable.
        case new(seq: UInt64)
        /// The code diverged: the run is blocked, the caller must never resume.
        case blocked
    }

    /// Issues `command` from `lua` (for the line in a divergence). A new command's `act` runs after its
    /// journal write is durable; a replayed one with no answer yet runs `act` now (it was durable before the
    /// restart, but its effect may never have completed).
    func issue(_ command: WorkflowCommand, from lua: Lua, act: @escaping (UInt64, Payload?) -> Void) -> Issue {
        guard divergence == nil else { return .blocked }
        switch replayer.issue(command, payload: WorkflowJournalCodec.command(command)) {
        case .replayed(let event):
            let recorded = (try? WorkflowJournalCodec.decodeCommand(event.payload)) ?? .null
            let answered = replayer.isAnswered(event.seq)
            if !answered && check == nil { act(event.seq, recorded) }
            return .replayed(seq: event.seq, recorded: recorded, answered: answered)
        case .new(let event):
            // A check past the end of the journal: the command is neither journaled nor acted on.
            if check == nil { journal([event]) { act(event.seq, nil) } }
            return .new(seq: event.seq)
        case .diverged(let found):
            let location = lua.where(level: 1)
            divergenceFound = (found, location)
            block("\(found)", at: location)
            return .blocked
        }
    }

    /// Registers what the answer to the command at `seq` does when it is delivered.
    func onAnswer(_ seq: UInt64, _ resolve: @escaping (Payload) -> Void) { resolvers[seq] = resolve }

    // MARK: - Events arriving live

    /// Journals an event that arrived now (an activity's result, a fired timer, a message); it is delivered
    /// at the first block point after it is durable.
    func record(kind: String, key: String = "", _ body: Payload) {
        guard divergence == nil, !isEnding, check == nil else { return }
        let event = replayer.append(kind: kind, key: key, payload: WorkflowJournalCodec.event(time: WorkflowSession.wallClock, body))
        waiting.append(event)
        journal([event]) {}
        // Delivered now if the code is blocked: the code may run on it before it is durable, because
        // nothing the code then does acts before its own (later) journal write is durable, and that write
        // commits after this one. A crash in between replays up to what is durable and runs the rest again.
        if process.readyQueue.isEmpty && !process.isRunning { _ = deliverAvailable() }
        // When the event woke nothing, no run of the process will write it: write it now.
        if process.readyQueue.isEmpty { flush() }
    }

    /// A mailbox item for the process: journaled as a signal (a message) or a cancellation (an event).
    func arrived(_ item: MailboxItem) {
        switch item {
        case .message(let message) where message.topic == WorkflowSession.resumeTopic && message.from == nil:
            resume()
        case .message(let message):
            record(kind: "signal", key: message.topic, WorkflowSession.encode(message))
        case .event(.cancel) where observer.isStopping:
            // The host is shutting down: the process ends now, and the run stays in flight (it resumes at the
            // next start, from its journal).
            process.pendingFailure = WippyError.canceled("workflow host stopping")
        case .event(.cancel(let from, let reason)):
            record(kind: "cancel", .map([("from", .string(from?.description ?? "")), ("reason", .string(reason))]))
        case .event:
            // Lifecycle events of other processes (EXIT of a monitored process) are not part of a run's
            // history yet: they are dropped rather than delivered where a replay would not see them.
            break
        }
    }

    static func encode(_ message: Message) -> Payload {
        .map([
            ("from", .string(message.from?.description ?? "")), ("topic", .string(message.topic)),
            ("payloads", .array(message.payloads)),
        ])
    }

    // MARK: - Delivery

    /// At a block point (no task can run): delivers journaled events, then durable live ones, one at a time
    /// until a task can run. True when one can.
    func deliverAvailable() -> Bool {
        guard divergence == nil else { return false }
        defer { if let check, process.readyQueue.isEmpty { check.reachedBlockPoint(self) } }
        while process.readyQueue.isEmpty && process.pendingExit == nil {
            if let event = replayer.nextEvent() {
                deliver(event)
            } else if let event = waiting.first {
                waiting.removeFirst()
                deliver(event)
            } else {
                break
            }
        }
        return !process.readyQueue.isEmpty
    }

    private func deliver(_ event: JournalEvent) {
        guard let decoded = try? WorkflowJournalCodec.decodeEvent(event.payload) else {
            block("journal event \(event.seq) (\(event.kind)) cannot be decoded", at: nil)
            return
        }
        now = max(now, decoded.time)
        process.determinism?.now = now
        switch event.kind {
        case "result", "fired", "exit":
            guard let seq = UInt64(event.key), let resolve = resolvers.removeValue(forKey: seq) else { return }
            resolve(decoded.body)
        case "signal":
            let body = decoded.body
            let from = body["from"]?.stringValue.flatMap { $0.isEmpty ? nil : PID(parsing: $0) }
            let payloads = body["payloads"]?.tableValue?.array ?? []
            hand(.message(Message(from: from, topic: body["topic"]?.stringValue ?? event.key, payloads: payloads)))
        case "cancel":
            let from = decoded.body["from"]?.stringValue.flatMap { $0.isEmpty ? nil : PID(parsing: $0) }
            hand(.event(.cancel(from: from, reason: decoded.body["reason"]?.stringValue ?? "")))
        default:
            break
        }
    }

    /// Gives a delivered item to the process as if it had just arrived.
    private func hand(_ item: MailboxItem) {
        isDelivering = true
        defer { isDelivering = false }
        if case .declined = process.offer(item, to: process.cell) { process.cell.appendToMailbox(item) }
    }

    // MARK: - The end

    /// The carrier's code ended with `result`: the run's end is journaled, and the process ends once that is
    /// durable (monitors see EXIT only then). Nil while the write is pending; a result when the process
    /// must end now (a divergence found at the end blocks the run instead).
    func finish(_ result: ProcessResult) -> ProcessRunOutcome {
        // Ended by the host's shutdown (terminated, or out of time): the run stays in flight.
        if observer.isStopping && result.error != nil { return .finished(result) }
        if let check {
            check.reachedEnd(self, result: result)
            return .finished(result)
        }
        guard divergence == nil else { return .blocked }
        if result.error == nil, let unmatched = replayer.unmatchedCommand(actual: "the workflow returned") {
            divergenceFound = (unmatched, nil)
            block("\(unmatched)", at: nil)
            return .blocked
        }
        isEnding = true
        let status: WorkflowStatus
        if let error = result.error {
            status = error == ProcessResult.terminated.error ? .terminated : .failed
        } else {
            status = .completed
        }
        let encoded = (try? PayloadArchive.encode(result.error.map { .error($0) } ?? result.value)) ?? []
        flush(status: status, result: encoded) { [unowned(unsafe) self] in self.process.pendingExit = result }
        observer.sessionEnding(self, status: status, result: result)
        return .blocked
    }

    /// Puts the run in `blocked`: its code no longer matches its journal. Nothing more is journaled or
    /// delivered; the process stays parked until an operator acts.
    func block(_ reason: String, at location: String?) {
        guard divergence == nil else { return }
        var message = "workflow \(record.run.workflowID) (\(record.entry)) is blocked: \(reason)"
        if let location, !location.isEmpty { message += " at \(location)" }
        divergence = message
        unwritten = []
        afterWrite = []
        if check == nil { store.submit(WorkflowWrite(run: run, status: .blocked, result: Array(message.utf8))) { _ in } }
        observer.sessionBlocked(self, reason: message)
    }

    // MARK: - Writing

    /// Queues `events` for the next journal write; `then` runs on the worker once they are durable. The
    /// events of one activation (an answer and the commands the code issues on it) go in one write, made by
    /// ``flush()`` when the process stops running.
    private func journal(_ events: [JournalEvent], then: @escaping () -> Void) {
        unwritten.append(contentsOf: events)
        afterWrite.append(then)
    }

    /// Writes what is queued (one store item); the queued actions run once it is durable. A failed write
    /// fails the run.
    func flush(status: WorkflowStatus? = nil, result: [UInt8]? = nil, then final: (() -> Void)? = nil) {
        guard !unwritten.isEmpty || status != nil else { return }
        let events = unwritten
        var actions = afterWrite
        if let final { actions.append(final) }
        unwritten = []
        afterWrite = []
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            if case .custom(let outcome as WriteOutcome) = completion, case .failure(let error) = outcome.result {
                self.observer.sessionFailed(self, error: error)
                return
            }
            for action in actions { action() }
        }
        store.submit(WorkflowWrite(run: run, events: events, status: status, result: result)) { outcome in
            cell.worker.complete(cell, token: token, .custom(WriteOutcome(result: outcome)))
        }
    }
}

/// A store write's result on its way back to the worker.
struct WriteOutcome: Sendable {
    let result: Result<Void, WippyError>
}

/// What a workflow engine hears from the sessions of its runs (on their workers' threads).
public protocol WorkflowSessionObserver: AnyObject, Sendable {
    /// True once the host is stopping: its runs stay in flight (they resume at the next start), so what
    /// the shutdown does to their processes is not journaled.
    var isStopping: Bool { get }
    /// The run's end is being written (`status`, `result`).
    func sessionEnding(_ session: WorkflowSession, status: WorkflowStatus, result: ProcessResult)
    func sessionBlocked(_ session: WorkflowSession, reason: String)
    /// The run paused for an operator (`reason`), or resumed (`reason` nil).
    func sessionPaused(_ session: WorkflowSession, reason: String?)
    /// A journal write failed: the run cannot go on here.
    func sessionFailed(_ session: WorkflowSession, error: WippyError)
}

extension WorkflowSessionObserver {
    public func sessionPaused(_ session: WorkflowSession, reason: String?) {}
}
