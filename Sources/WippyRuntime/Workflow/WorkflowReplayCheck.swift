import Dispatch
import Synchronization
public import WippyCore

/// Replays a run's recorded journal against some code (usually the registry's current code of its entry,
/// not the code the run is pinned to) without any effect: no activity runs, no timer is armed, nothing is
/// sent or written; every answer comes from the journal. It says whether that code would replay the journal
/// cleanly or where it diverges: what `wippy workflow replay` prints and what the engine checks in the
/// background when a workflow's code changes.
///
/// The code runs in a real Lua process (with the run's determinism: seed and clock) on a host the caller
/// gives, ideally one that carries no live runs. The check ends when the code reaches a block point with
/// every journaled event delivered (clean, unless journaled commands were never issued), when it diverges,
/// when it ends, or when the deadline passes.
public final class WorkflowReplayCheck: WorkflowSessionObserver, @unchecked Sendable {
    /// What a check found.
    public enum Outcome: Sendable, Equatable {
        /// The code issued every journaled command in order and took every journaled event: `events` is the
        /// journal's length.
        case clean(events: Int)
        /// The code diverged: the journaled command, what the code did, and where (`chunk:line`, when known).
        case diverged(WorkflowDivergence, location: String?)
        /// The check could not run the code (it does not compile or start, or it ran past the deadline).
        case failed(String)

        public var isClean: Bool { if case .clean = self { true } else { false } }
    }

    private let events: Int
    private let completion: @Sendable (Outcome) -> Void
    private let concluded = Atomic<Bool>(false)
    private let pid = Mutex<PID?>(nil)
    private let node: Node

    private init(events: Int, node: Node, completion: @escaping @Sendable (Outcome) -> Void) {
        self.events = events
        self.node = node
        self.completion = completion
    }

    /// Replays `journal` (the events of `record`'s run) against `program` on `host`; `completion` gets the
    /// outcome once, on the host's worker (or a timer thread when the deadline passes).
    public static func run(
        program: LuaProgram, record: WorkflowRecord, journal: [JournalEvent], runtime: LuaRuntime, host: ProcessHost,
        timeout: Duration = .seconds(30), completion: @escaping @Sendable (Outcome) -> Void
    ) {
        let check = WorkflowReplayCheck(events: journal.count, node: runtime.node, completion: completion)
        let input = (try? PayloadArchive.decode(record.input)) ?? .null
        let arguments = input["args"]?.tableValue?.array ?? []
        var context = ExecutionContext.empty
        for field in input["context"]?.tableValue?.fields ?? [] {
            if let key = field.key.stringValue { context.values[key] = field.value }
        }
        let session = WorkflowSession(record: record, journal: journal, store: RefusingWorkflowStore(), observer: check, check: check)
        let starter = CheckStarter(
            inner: WorkflowStarter(
                inner: LuaProcessStarter(
                    program: program, mode: .process, arguments: arguments, context: context,
                    determinism: WorkflowDeterminism(seed: session.seed, now: session.now)),
                session: session),
            check: check)
        let pid = runtime.node.spawn(on: host, starter: starter)
        check.pid.withLock { $0 = pid }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [check] in
            guard check.conclude(.failed("the replay did not reach the end of its journal within \(timeout)")) else { return }
            if let pid = check.pid.withLock({ $0 }) { _ = runtime.node.terminate(pid) }
        }
    }

    /// ``run(program:record:journal:runtime:host:timeout:completion:)`` for async code.
    public static func run(
        program: LuaProgram, record: WorkflowRecord, journal: [JournalEvent], runtime: LuaRuntime, host: ProcessHost,
        timeout: Duration = .seconds(30)
    ) async -> Outcome {
        await withCheckedContinuation { continuation in
            run(program: program, record: record, journal: journal, runtime: runtime, host: host, timeout: timeout) {
                continuation.resume(returning: $0)
            }
        }
    }

    /// True for the first conclusion (which is reported); later ones are ignored.
    @discardableResult
    fileprivate func conclude(_ outcome: Outcome) -> Bool {
        guard !concluded.exchange(true, ordering: .acquiringAndReleasing) else { return false }
        completion(outcome)
        return true
    }

    // MARK: - What the session tells

    /// The code is blocked and nothing journaled can wake it: the journal is used up.
    func reachedBlockPoint(_ session: WorkflowSession) {
        guard !session.hasJournaledEvents, session.divergence == nil else { return }
        if let unmatched = session.unmatchedCommand(actual: "nothing (it waits, and no journaled event wakes it)") {
            conclude(.diverged(unmatched, location: nil))
        } else {
            conclude(.clean(events: events))
        }
        session.process.pendingExit = ProcessResult()
    }

    /// The code ended (returned or failed) with `result`.
    func reachedEnd(_ session: WorkflowSession, result: ProcessResult) {
        let actual = result.error.map { "the workflow failed (\($0.message))" } ?? "the workflow returned"
        if let unmatched = session.unmatchedCommand(actual: actual) {
            conclude(.diverged(unmatched, location: nil))
        } else {
            conclude(.clean(events: events))
        }
    }

    public var isStopping: Bool { false }

    public func sessionEnding(_ session: WorkflowSession, status: WorkflowStatus, result: ProcessResult) {}

    public func sessionBlocked(_ session: WorkflowSession, reason: String) {
        if let found = session.divergenceFound {
            conclude(.diverged(found.divergence, location: found.location))
        } else {
            conclude(.failed(reason))
        }
        session.process.pendingExit = ProcessResult()
    }

    public func sessionFailed(_ session: WorkflowSession, error: WippyError) { conclude(.failed(error.message)) }

    /// The code continued as new where its journal did (every journaled command matched): the journal
    /// replays cleanly up to its end, and the check stops there.
    public func sessionSuccessor(
        _ session: WorkflowSession, entry: EntryID, arguments: [Payload], context: ExecutionContext, inherited: [JournalEvent]
    ) throws(WippyError) -> WorkflowSuccessor {
        conclude(.clean(events: events))
        session.process.pendingExit = ProcessResult()
        throw WippyError.canceled("a replay check ends at continue-as-new")
    }

    public func sessionContinued(_ session: WorkflowSession, as successor: WorkflowSuccessor, from process: LuaProcess) -> any ProcessStarter {
        EndedStarter()
    }

    fileprivate func startFailed(_ error: WippyError) { conclude(.failed("the code cannot start: \(error.message)")) }
}

/// A starter that never makes a process (a check never continues a run).
private final class EndedStarter: ProcessStarter, @unchecked Sendable {
    func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
        throw WippyError.canceled("a replay check does not continue runs")
    }
}

/// Reports a process that cannot start (its code fails to load) as the check's outcome.
private final class CheckStarter: ProcessStarter, @unchecked Sendable {
    let inner: WorkflowStarter
    let check: WorkflowReplayCheck

    init(inner: WorkflowStarter, check: WorkflowReplayCheck) {
        self.inner = inner
        self.check = check
    }

    func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
        do {
            return try inner.makeBehavior(for: process)
        } catch {
            check.startFailed(error)
            throw error
        }
    }
}

/// The store of a check: nothing is ever written (a check journals nothing); a write that reaches it is
/// refused.
private struct RefusingWorkflowStore: WorkflowStore {
    func submit(_ write: WorkflowWrite, completion: @escaping @Sendable (Result<Void, WippyError>) -> Void) {
        completion(.failure(.invalid("a replay check writes nothing")))
    }

    func load(_ run: WorkflowRunID, completion: @escaping @Sendable (Result<WorkflowRun?, WippyError>) -> Void) {
        completion(.success(nil))
    }

    func list(
        statuses: Set<WorkflowStatus>, limit: Int, completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void
    ) {
        completion(.success([]))
    }

    func close() {}
}
