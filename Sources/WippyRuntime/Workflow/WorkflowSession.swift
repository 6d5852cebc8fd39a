import DequeModule
import Foundation
public import WippyCore
import WippyLua

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
    /// Live events journaled (queued or submitted) in sequence order, waiting for a block point; each with
    /// the time and body its payload encodes, so delivering it does not decode what the session just encoded.
    private var waiting = Deque<LiveEvent>()
    /// What an answer does, by the sequence number of the command it answers.
    private var resolvers = TokenMap<Resolver>()

    /// What an answer does: wake a `funcs.call` waiting on its completion token (the common case, kept as
    /// data so a step allocates no closure for it), or run code of the effect that issued the command.
    private enum Resolver {
        case call(token: UInt64)
        case run((Payload) -> Void)
    }
    /// Events queued for the next write, and what runs once it is durable.
    private var unwritten: [JournalEvent] = []
    private var afterWrite: [() -> Void] = []
    /// Set while the session hands an item to the process itself (so the mailbox does not journal it again).
    var isDelivering = false
    /// Set once the code diverged from its journal: nothing more is journaled or delivered.
    public private(set) var divergence: String?
    /// Set once the run's end is being written.
    var isEnding = false
    /// Set once the run continues as new (`process.upgrade`): its end and its successor are being written;
    /// what reaches the process meanwhile waits in its mailbox for the successor.
    var isContinuing = false
    /// The node's hold on the run in a store shared by several nodes (carried by every write).
    public var fence: WorkflowFence?
    /// What the run waits for: the wake time of its writes, and when it may leave memory.
    var parking = WorkflowParking()
    /// The wake time last written (nil: not written by this session; the store's is kept).
    private var writtenWake: WorkflowWake?
    /// Store writes submitted and not yet acknowledged.
    private var writesInFlight = 0
    /// Signals recorded in the store (while the run was not in memory here) that the next write takes.
    private var takes: [UInt64] = []
    /// The highest store signal id journaled by this session: a signal is taken once.
    private var lastTakenSignal: UInt64 = 0
    /// Set once the run leaves memory (evicted, its lease lost) or its host stops: nothing more is written
    /// here, and what reaches the process is handed back to the engine.
    private(set) var isLeaving = false
    /// Set while the eviction check's timer is armed.
    private var evictionArmed = false
    /// What the effects of `WorkflowSession+Async`/`+Timers`/`+Children` keep between calls.
    var effects = WorkflowEffects()
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
        parking.active(at: WorkflowSession.wallClock)
        armPoke()
        if fetchSignalsAtStart { takeStoreSignals() }
    }

    /// Set by the engine for a run resumed from the store: signals may have been recorded while it was away.
    var fetchSignalsAtStart = false

    /// Gives the engine a way to wake this session from any thread: it then reads the store's pending
    /// signals of the workflow (a hint that some were recorded for it).
    private func armPoke() {
        guard !isLeaving, store is any WorkflowSignalStore else { return }
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            if case .custom(let poke as WorkflowPoke)? = completion, poke == .leave {
                self.leave(reason: "lease lost")
                return
            }
            self.takeStoreSignals()
            self.armPoke()
        }
        observer.sessionPokable(self) { poke in cell.worker.complete(cell, token: token, .custom(poke)) }
    }

    /// Reads the workflow's pending store signals and journals those not journaled yet; the write that
    /// holds them takes them from the store.
    func takeStoreSignals() {
        guard let signals = store as? any WorkflowSignalStore, !isLeaving, divergence == nil, !isEnding else { return }
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            guard case .custom(let read as SignalRead) = completion, case .success(let found) = read.result else { return }
            self.journalStoreSignals(found)
        }
        signals.pendingSignals(workflowID: run.workflowID, limit: 1000) { result in
            cell.worker.complete(cell, token: token, .custom(SignalRead(result: result)))
        }
    }

    private func journalStoreSignals(_ found: [WorkflowSignal]) {
        guard !isLeaving, divergence == nil, !isEnding else { return }
        for signal in found where signal.id > lastTakenSignal {
            lastTakenSignal = signal.id
            takes.append(signal.id)
            switch WorkflowSignalEnvelope.decode(signal) {
            case .message(let message): record(kind: "signal", key: message.topic, WorkflowSession.encode(message))
            case .cancel(let from, let reason):
                record(kind: "cancel", .map([("from", .string(from?.description ?? "")), ("reason", .string(reason))]))
            case .terminate: observer.sessionAskedToTerminate(self)
            }
        }
        if found.count == 1000 { takeStoreSignals() }
        if takes.count > 0 { flush() }
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
    /// `lua` is nil for a command the session issues itself at a block point (a ticker's next tick).
    func issue(_ command: WorkflowCommand, from lua: Lua?, act: @escaping (UInt64, Payload?) -> Void) -> Issue {
        guard divergence == nil else { return .blocked }
        switch replayer.issue(command, payload: WorkflowJournalCodec.command(command)) {
        case .replayed(let event):
            let recorded = (try? WorkflowJournalCodec.decodeCommand(event.payload)) ?? .null
            let answered = replayer.isAnswered(event.seq)
            switch command {
            case .cancelTimer(let seq): parking.timerEnded(seq)
            case .spawn where !replayer.isExited(event.seq): parking.activityStarted(event.seq)
            default: break
            }
            if !answered && check == nil { act(event.seq, recorded) }
            return .replayed(seq: event.seq, recorded: recorded, answered: answered)
        case .new(let event):
            // A check past the end of the journal: the command is neither journaled nor acted on.
            guard check == nil else { return .new(seq: event.seq) }
            // What the run now waits for counts from the moment the command is issued (its wake time is
            // written with it), not from when it acts.
            switch command {
            case .timer(_, let fireAt): parking.timerArmed(event.seq, fireAt: fireAt)
            case .cancelTimer(let seq): parking.timerEnded(seq)
            case .call, .spawn: parking.activityStarted(event.seq)
            default: break
            }
            journal(event) { act(event.seq, nil) }
            return .new(seq: event.seq)
        case .diverged(let found):
            let location = lua?.where(level: 1)
            divergenceFound = (found, location)
            block("\(found)", at: location)
            return .blocked
        }
    }

    /// Registers what the answer to the command at `seq` does when it is delivered.
    func onAnswer(_ seq: UInt64, _ resolve: @escaping (Payload) -> Void) { resolvers[seq] = .run(resolve) }

    /// The answer to the command at `seq` (an activity's `{value}` or `{error, attempts}`) wakes the task
    /// waiting on completion `token` with the value or the error.
    func onAnswer(_ seq: UInt64, completing token: UInt64) { resolvers[seq] = .call(token: token) }

    /// Forgets what the answer to the command at `seq` would do (the code canceled it): it is ignored.
    func dropAnswer(_ seq: UInt64) { resolvers[seq] = nil }

    /// True when the journal being replayed holds the answer to the command at `seq`.
    func isAnsweredInJournal(_ seq: UInt64) -> Bool { replayer.isAnswered(seq) }

    /// True when the journal being replayed holds the end of the child workflow started at `seq`.
    func isExitInJournal(_ seq: UInt64) -> Bool { replayer.isExited(seq) }

    /// The seq the next new command or event gets.
    var nextSeq: UInt64 { replayer.lastSeq + 1 }

    // MARK: - Events arriving live

    /// Journals an event that arrived now (an activity's result, a fired timer, a message); it is delivered
    /// at the first block point after it is durable.
    func record(kind: String, key: String = "", _ body: Payload) {
        guard divergence == nil, !isEnding, !isLeaving, check == nil else { return }
        if let seq = UInt64(key) {
            if kind == "fired" { parking.timerEnded(seq) } else if kind == "result" || kind == "exit" { parking.activityEnded(seq) }
        }
        let time = WorkflowSession.wallClock
        let event = replayer.append(kind: kind, key: key, payload: WorkflowJournalCodec.event(time: time, body))
        // The body is handed over as it is only when its encoding round-trips exactly (a replay decodes the
        // journaled bytes): not when encoding failed, nor for errors (their archive keeps only some fields).
        let exact = !event.payload.isEmpty && !LiveEvent.holdsError(body)
        // Spelled out: in a ternary, `nil` would become `Payload.null` (Payload is nil-literal expressible).
        var kept: Payload? = nil
        if exact { kept = body }
        waiting.append(LiveEvent(event: event, time: time, body: kept))
        unwritten.append(event)
        // Delivered now if the code is blocked: the code may run on it before it is durable, because
        // nothing the code then does acts before its own (later) journal write is durable, and that write
        // commits after this one. A crash in between replays up to what is durable and runs the rest again.
        if process.readyQueue.isEmpty && !process.isRunning { _ = deliverAvailable() }
        // When the event woke nothing, no run of the process will write it: write it now.
        if process.readyQueue.isEmpty { flush() }
    }

    /// A mailbox item for the process: journaled as a signal (a message) or a cancellation (an event).
    func arrived(_ item: MailboxItem) {
        if isContinuing {
            // The successor replaces the process once the continue is durable: it journals the item.
            process.cell.appendToMailbox(item)
            return
        }
        if isLeaving {
            // The run is leaving memory: its engine records the item in the store for the next node.
            observer.sessionRerouted(self, item)
            return
        }
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
        case .event(.exit(let from, let result)) where effects.children[from] != nil:
            // A child workflow ended: journaled as the `exit` of its `spawn`.
            childEnded(from, result)
        case .event:
            // Other lifecycle events (EXIT of a process that is not a child workflow) are not part of a
            // run's history: they are dropped rather than delivered where a replay would not see them.
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
            } else if let live = waiting.first {
                waiting.removeFirst()
                if let body = live.body { deliver(live.event, time: live.time, body: body) } else { deliver(live.event) }
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
        deliver(event, time: decoded.time, body: decoded.body)
    }

    private func deliver(_ event: JournalEvent, time: Int64, body: Payload) {
        let decoded = (time: time, body: body)
        now = max(now, decoded.time)
        process.determinism?.now = now
        switch event.kind {
        case "result", "fired", "exit", "started_child":
            guard let seq = UInt64(event.key), let resolver = resolvers.removeValue(forKey: seq) else { return }
            switch resolver {
            case .call(let token):
                let body = decoded.body
                let result: ProcessResult
                if case .error(let error)? = body["error"] {
                    result = .failure(error)
                } else {
                    result = ProcessResult(value: body["value"] ?? .null)
                }
                _ = process.completed(process.cell, token: token, .result(result))
            case .run(let resolve):
                resolve(decoded.body)
            }
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
    func hand(_ item: MailboxItem) {
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
        if (observer.isStopping && result.error != nil) || isLeaving { return .finished(result) }
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

    /// The events journaled and not delivered yet (the rest of a replayed journal, then live ones); `take`
    /// removes them (the run ends without seeing them).
    func undelivered(take: Bool) -> [JournalEvent] {
        var cursor = replayer
        var events: [JournalEvent] = []
        while let event = cursor.nextEvent() { events.append(event) }
        events.append(contentsOf: waiting.map(\.event))
        if take {
            replayer = cursor
            waiting.removeAll()
        }
        return events
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
        if check == nil { store.submit(WorkflowWrite(run: run, status: .blocked, result: Array(message.utf8), fence: fence)) { _ in } }
        observer.sessionBlocked(self, reason: message)
    }

    // MARK: - Writing

    /// Queues `event` for the next journal write; `then` runs on the worker once they are durable. The
    /// events of one activation (an answer and the commands the code issues on it) go in one write, made by
    /// ``flush()`` when the process stops running.
    private func journal(_ event: JournalEvent, then: @escaping () -> Void) {
        unwritten.append(event)
        afterWrite.append(then)
    }

    /// Writes what is queued (one store item); the queued actions run once it is durable. A failed write
    /// fails the run.
    func flush(
        status: WorkflowStatus? = nil, result: [UInt8]? = nil, successor: WorkflowSuccessor? = nil, then final: (() -> Void)? = nil
    ) {
        // Nothing is written after the write of the run's end (or continue) is made: a later wake-only write
        // would be refused by the store, and the refusal would make the run leave memory without its EXIT.
        guard !isLeaving, !(isEnding && status == nil) else { return }
        if !unwritten.isEmpty || status != nil { parking.active(at: WorkflowSession.wallClock) }
        let wake = status == nil ? parking.wake(hasWork: hasWork) : nil
        let wakeChanged = wake != nil && wake != writtenWake
        guard !unwritten.isEmpty || status != nil || wakeChanged else {
            armEvictionCheck()
            return
        }
        let events = unwritten
        var actions = afterWrite
        if let final { actions.append(final) }
        unwritten = []
        afterWrite = []
        let taken = takes
        takes = []
        if wakeChanged { writtenWake = wake }
        writesInFlight += 1
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            self.writesInFlight -= 1
            if case .failure(let error)? = completion {
                if self.isContinuing {
                    // The run did not end: it stays in flight in the store, and leaves memory here.
                    self.isContinuing = false
                    self.isEnding = false
                }
                self.observer.sessionFailed(self, error: error)
                return
            }
            for action in actions { action() }
            self.armEvictionCheck()
        }
        var write = WorkflowWrite(
            run: run, events: events, status: status, result: result, wake: wakeChanged ? wake : nil, fence: fence,
            takeSignals: taken)
        write.successor = successor
        store.submit(write) { outcome in
            cell.worker.complete(cell, token: token, .written(outcome))
        }
    }

    /// True while the run has work in memory: a task that can run, or an event not yet delivered.
    private var hasWork: Bool {
        !process.readyQueue.isEmpty || !waiting.isEmpty || replayer.isReplayingEvents
    }

    /// True while the run has work or writes not yet durable: it stays in memory.
    private var isBusy: Bool { hasWork || writesInFlight > 0 || !unwritten.isEmpty || !takes.isEmpty }

    // MARK: - Leaving memory

    /// Arms the check that evicts the run once it has been parked for its host's `evict_after`.
    private func armEvictionCheck() {
        guard !evictionArmed, !isLeaving, !isEnding, divergence == nil, let idle = observer.evictAfter,
            let remaining = parking.untilEvictable(now: WorkflowSession.wallClock, idle: idle, hasWork: isBusy)
        else { return }
        evictionArmed = true
        _ = process.armTimer(after: UInt64(max(remaining, 0))) { [unowned(unsafe) self] _ in
            self.evictionArmed = false
            self.evictIfParked()
        }
    }

    private func evictIfParked() {
        guard !isLeaving, !isEnding, divergence == nil, process.pendingExit == nil, let idle = observer.evictAfter,
            let remaining = parking.untilEvictable(now: WorkflowSession.wallClock, idle: idle, hasWork: isBusy)
        else { return }
        guard remaining <= 0 else { return armEvictionCheck() }
        // The wake time the run leaves with must be durable first.
        if parking.wake(hasWork: false) != writtenWake { return flush() }
        leave(reason: "evicted")
    }

    /// Ends the process without ending the run (its journal and wake time are durable): the run comes back
    /// from the store when it is woken.
    func leave(reason: String) {
        guard !isLeaving, !isEnding else { return }
        isLeaving = true
        observer.sessionLeaving(self, reason: reason)
        process.pendingExit = ProcessResult(value: .null)
    }

    /// The carrier process is gone (ended, evicted or stopped).
    func discarded() { observer.sessionGone(self) }
}

/// A wake-up for a session from another thread (``WorkflowSession/armPoke()``).
public enum WorkflowPoke: Sendable {
    /// Signals may have been recorded in the store for the run.
    case signals
    /// The node no longer holds the run: its process ends without writing.
    case leave
}

/// The store's pending signals, on their way to the worker.
struct SignalRead: Sendable {
    let result: Result<[WorkflowSignal], WippyError>
}

/// A live event waiting for a block point, with the time and body its payload encodes (nil: decode it).
struct LiveEvent {
    let event: JournalEvent
    let time: Int64
    let body: Payload?

    static func holdsError(_ payload: Payload) -> Bool {
        switch payload {
        case .error: return true
        case .table(let table): return table.array.contains(where: holdsError) || table.fields.contains { holdsError($0.key) || holdsError($0.value) }
        default: return false
        }
    }
}

/// A store write's result on its way back to the worker, in cases that need no boxing (a `.custom` value
/// was an allocation and a dynamic cast per step): `.values([])` once durable, `.failure` when refused.
extension Completion {
    static func written(_ outcome: Result<Void, WippyError>) -> Completion {
        switch outcome {
        case .success: .values([])
        case .failure(let error): .failure(error)
        }
    }

    /// True for ``written(_:)``'s success.
    var isDurableWrite: Bool {
        if case .values = self { return true }
        return false
    }
}
