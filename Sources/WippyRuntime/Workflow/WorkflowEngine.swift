import Foundation
public import Logging
import Synchronization
public import WippyCore

/// The embedded workflow engine of one workflow host: starts runs, recovers the unfinished ones at boot,
/// and routes signals, cancellation and termination to them. The runs themselves are Lua processes on the
/// host's workers, each with a ``WorkflowSession``; their PIDs are the workflows' (`{node@host|id}`).
public final class WorkflowEngine: WorkflowGateway, WorkflowSessionObserver, @unchecked Sendable {
    public let hostID: String
    /// The node part of workflow PIDs (the `temporal.client` entry ID for Temporal-style apps).
    public let nodeName: String
    public let store: any WorkflowStore
    let runtime: LuaRuntime
    let host: ProcessHost
    let logger: Logger
    /// The run of each workflow id this engine has in flight.
    private let active = Mutex<[String: WorkflowRunID]>([:])
    private let counter = Atomic<UInt64>(0)
    private let prefix = UUID().uuidString.prefix(8).lowercased()
    public typealias LifecycleObserver = @Sendable (WorkflowRunID, WorkflowStatus, String?) -> Void
    private let lifecycle = Mutex<[LifecycleObserver]>([])
    /// Replays of in-flight runs against changed code (``codeChanged(_:)``).
    public let replayChecks = WorkflowReplayChecker()

    /// Calls `observer` (on the run's worker) when a run ends or blocks: its status and detail.
    public func onLifecycle(_ observer: @escaping LifecycleObserver) { lifecycle.withLock { $0.append(observer) } }

    public init(hostID: String, nodeName: String, store: any WorkflowStore, runtime: LuaRuntime, host: ProcessHost) {
        self.hostID = hostID
        self.nodeName = nodeName
        self.store = store
        self.runtime = runtime
        self.host = host
        logger = runtime.logger
    }

    /// The PID of workflow `id`.
    public func pid(of id: String) -> PID { PID.workflow(node: nodeName, host: hostID, id: id) }

    /// How a start treats a workflow id that already has a run in flight (`temporal.workflow.id_conflict_policy`).
    public enum ConflictPolicy: String, Sendable { case useExisting = "use_existing", fail }

    /// What starts a run.
    public struct Start: Sendable {
        public var entry: EntryID
        public var arguments: [Payload]
        public var workflowID: String?
        public var conflict: ConflictPolicy?
        public var context: ExecutionContext
        public var parent: PID?
        public var monitor: Bool
        /// Startup messages (`with_message`): journaled with the start, delivered first.
        public var messages: [Message]

        public init(
            entry: EntryID, arguments: [Payload], workflowID: String? = nil, conflict: ConflictPolicy? = nil,
            context: ExecutionContext = .empty, parent: PID? = nil, monitor: Bool = false, messages: [Message] = []
        ) {
            self.entry = entry
            self.arguments = arguments
            self.workflowID = workflowID
            self.conflict = conflict
            self.context = context
            self.parent = parent
            self.monitor = monitor
            self.messages = messages
        }
    }

    /// Starts a run; `completion` gets its PID once the start is durable (or the existing run's PID under
    /// `use_existing`), on the store's thread.
    public func start(_ start: Start, completion: @escaping @Sendable (Result<PID, WippyError>) -> Void) {
        guard let program = runtime.program(start.entry) else {
            return completion(.failure(WippyError("workflow not found: \(start.entry)", kind: .notFound, retryable: false)))
        }
        guard program.kind == .workflow || program.kind == .process else {
            return completion(.failure(.invalid("\(start.entry) is a \(program.kind.rawValue) entry, not a workflow")))
        }
        let chosen = start.workflowID
        let id = chosen ?? "\(prefix)_\(counter.add(1, ordering: .relaxed).newValue)"
        let policy = start.conflict ?? (chosen == nil ? .fail : .useExisting)
        let runID = UUID().uuidString.lowercased()
        let run = WorkflowRunID(workflowID: id, runID: runID)
        let existing = active.withLock { active -> WorkflowRunID? in
            if let current = active[id] { return current }
            active[id] = run
            return nil
        }
        let pid = self.pid(of: id)
        if existing != nil {
            guard policy == .useExisting else {
                return completion(.failure(.alreadyExists("workflow \(id) is already running")))
            }
            for message in start.messages { signal(workflowID: id, message) { _ in } }
            if start.monitor, let parent = start.parent { monitor(id, watcher: parent) }
            return completion(.success(pid))
        }
        let now = WorkflowSession.wallClock
        // The run is pinned to the code it starts with: the entry's fields are kept with the run, so a replay
        // compiles exactly that code, whatever the registry holds by then (a file reload is not a recorded
        // registry version, so the version number alone would not find it again).
        let code = runtime.registry?.snapshot.entry(start.entry)?.data ?? .null
        let record = WorkflowRecord(
            run: run, entry: start.entry, entryKind: program.kind.rawValue,
            registryVersion: runtime.registry?.version ?? 0,
            input: (try? PayloadArchive.encode(.map([
                ("args", .array(start.arguments)),
                ("context", .map(start.context.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })),
                ("code", code), ("host", .string(hostID)),
            ]))) ?? [])
        var events = [WorkflowSession.startEvent(time: now, seed: UInt64.random(in: 0...UInt64.max))]
        for message in start.messages {
            events.append(JournalEvent(
                seq: UInt64(events.count + 1), kind: "signal", key: message.topic,
                payload: WorkflowJournalCodec.event(time: now, WorkflowSession.encode(message))))
        }
        let journal = events
        store.submit(.start(record, events: journal)) { [self] result in
            switch result {
            case .failure(let error):
                active.withLock { _ = $0.removeValue(forKey: id) }
                completion(.failure(error))
            case .success:
                // Published before the run can end, so a watcher sees started before completed.
                publish("workflow.started", record.run, [("entry", .string(record.entry.description))])
                launch(record, journal: journal, arguments: start.arguments, context: start.context, parent: start.parent, monitor: start.monitor)
                completion(.success(pid))
            }
        }
    }

    /// Spawns the process that carries `record`'s run, replaying `journal`.
    private func launch(
        _ record: WorkflowRecord, journal: [JournalEvent], arguments: [Payload], context: ExecutionContext, parent: PID?, monitor: Bool
    ) {
        let program: LuaProgram
        do {
            program = try pinnedProgram(record)
        } catch {
            logger.error("workflow \(record.run.workflowID): its code cannot run: \(error.message)")
            return
        }
        let session = WorkflowSession(record: record, journal: journal, store: store, observer: self)
        let determinism = WorkflowDeterminism(seed: session.seed, now: session.now)
        let starter = WorkflowStarter(
            inner: LuaProcessStarter(
                program: program, mode: .process, arguments: arguments, context: context, determinism: determinism),
            session: session)
        let id = record.run.workflowID
        runtime.node.spawn(on: host, starter: starter, options: SpawnOptions(parent: parent, monitor: monitor), pid: pid(of: id))
        let waiting = pendingMonitors.withLock { $0.removeValue(forKey: id) } ?? []
        for watcher in waiting { try? runtime.node.monitor(watcher: watcher, target: pid(of: id)) }
    }

    /// Watchers of runs whose process is not started yet (a start that found the run recovering).
    private let pendingMonitors = Mutex<[String: [PID]]>([:])

    /// Makes `watcher` a monitor of workflow `id`: now, or as soon as its process starts.
    private func monitor(_ id: String, watcher: PID) {
        pendingMonitors.withLock { pending in
            if (try? runtime.node.monitor(watcher: watcher, target: pid(of: id))) == nil { pending[id, default: []].append(watcher) }
        }
    }

    /// Programs compiled from the code runs are pinned to, when it is no longer the registry's.
    private let pinned = Mutex<[EntryID: [(code: Payload, program: LuaProgram)]]>([:])

    /// The program of the code `record`'s run started with: the registry's when unchanged, else compiled
    /// from the fields kept with the run (once per distinct code).
    func pinnedProgram(_ record: WorkflowRecord) throws(WippyError) -> LuaProgram {
        let input = (try? PayloadArchive.decode(record.input)) ?? .null
        let current = runtime.program(record.entry)
        guard let code = input["code"], !code.isNull else {
            guard let current else { throw WippyError.notFound("\(record.entry) is not in the registry") }
            return current
        }
        if let current, runtime.registry?.snapshot.entry(record.entry)?.data == code { return current }
        if let cached = pinned.withLock({ $0[record.entry]?.first { $0.code == code }?.program }) { return cached }
        let entry = Entry(id: record.entry, kind: record.entryKind, data: code)
        let program = try LuaEntryCompiler(availableModules: Set(runtime.modules.keys)).compile(entry)
        pinned.withLock { $0[record.entry, default: []].append((code, program)) }
        return program
    }

    /// Loads and resumes every unfinished run of the store (at boot); `completion` gets how many.
    public func recover(completion: @escaping @Sendable (Result<Int, WippyError>) -> Void) {
        store.list(statuses: [.running], limit: .max) { [self] listed in
            switch listed {
            case .failure(let error): completion(.failure(error))
            case .success(let records):
                let remaining = Atomic<Int>(records.count)
                let resumed = Atomic<Int>(records.count)
                if records.isEmpty { return completion(.success(0)) }
                for record in records {
                    // Hosts may share a store: each resumes its own runs.
                    let host = (try? PayloadArchive.decode(record.input))?["host"]?.stringValue
                    let claimed = host != nil && host != hostID ? false : active.withLock { active -> Bool in
                        guard active[record.run.workflowID] == nil else { return false }
                        active[record.run.workflowID] = record.run
                        return true
                    }
                    guard claimed else {
                        resumed.subtract(1, ordering: .relaxed)
                        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { completion(.success(resumed.load(ordering: .relaxed))) }
                        continue
                    }
                    store.load(record.run) { [self] loaded in
                        switch loaded {
                        case .success(let run?):
                            let input = (try? PayloadArchive.decode(run.record.input)) ?? .null
                            let arguments = input["args"]?.tableValue?.array ?? []
                            var context = ExecutionContext.empty
                            for field in input["context"]?.tableValue?.fields ?? [] {
                                if let key = field.key.stringValue { context.values[key] = field.value }
                            }
                            publish("workflow.resumed", run.record.run, [("journal_length", .int(Int64(run.events.count)))])
                            launch(run.record, journal: run.events, arguments: arguments, context: context, parent: nil, monitor: false)
                        case .success(nil): break
                        case .failure(let error):
                            // A damaged journal is reported and never replayed.
                            logger.error("workflow \(record.run.workflowID) not resumed: \(error.message)")
                            active.withLock { _ = $0.removeValue(forKey: record.run.workflowID) }
                        }
                        if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { completion(.success(resumed.load(ordering: .relaxed))) }
                    }
                }
            }
        }
    }

    /// Stops routing to this engine (its host is stopping); the host label stays a workflow host.
    public func detach() {
        stopping.store(true, ordering: .releasing)
        if runtime.node.gateway(forHost: hostID) === self { runtime.node.unregisterGateway(forHost: hostID) }
        WorkflowIdentity.register(host: hostID)
    }

    private let stopping = Atomic<Bool>(false)

    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Workflow ids in flight here.
    public var activeWorkflows: [String] { active.withLock { Array($0.keys) } }

    // MARK: - WorkflowGateway

    public func signal(workflowID id: String, _ message: Message, completion: @escaping @Sendable (WippyError?) -> Void) {
        guard active.withLock({ $0[id] }) != nil, runtime.node.send(to: pid(of: id), .message(message)) else {
            return completion(WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
        }
        completion(nil)
    }

    public func cancel(
        workflowID id: String, from: PID?, reason: String, terminate: Bool, completion: @escaping @Sendable (WippyError?) -> Void
    ) {
        let pid = pid(of: id)
        guard terminate else {
            let delivered = runtime.node.cancel(pid, from: from, reason: reason)
            return completion(delivered ? nil : WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
        }
        guard let run = active.withLock({ $0[id] }) else {
            return completion(WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
        }
        // The end is written first, then the process is ended (its monitors get EXIT): a crash in between
        // leaves a terminated run, never one that comes back.
        let error = ProcessResult.terminated.error ?? WippyError("process terminated", kind: .internal)
        let result = (try? PayloadArchive.encode(.error(error))) ?? []
        store.submit(WorkflowWrite(run: run, status: .terminated, result: result)) { [self] written in
            if case .failure(let failure) = written { return completion(failure) }
            active.withLock { active in
                if active[id] == run { active.removeValue(forKey: id) }
            }
            runtime.node.terminate(pid)
            notify(run, .terminated, reason)
            completion(nil)
        }
    }

    // MARK: - WorkflowSessionObserver

    public func sessionEnding(_ session: WorkflowSession, status: WorkflowStatus, result: ProcessResult) {
        active.withLock { active in
            if active[session.run.workflowID] == session.run { active.removeValue(forKey: session.run.workflowID) }
        }
        notify(session.run, status, result.error?.message)
    }

    public func sessionBlocked(_ session: WorkflowSession, reason: String) {
        logger.error("\(reason)")
        notify(session.run, .blocked, reason)
    }

    public func sessionPaused(_ session: WorkflowSession, reason: String?) {
        if let reason { logger.warning("\(reason)") }
        notify(session.run, reason == nil ? .running : .paused, reason ?? "resumed by an operator")
    }

    public func sessionFailed(_ session: WorkflowSession, error: WippyError) {
        logger.error("workflow \(session.run.workflowID): a journal write failed: \(error.message)")
    }

    /// A lifecycle event on the bus: system `workflow`, path the workflow PID.
    private func publish(_ kind: String, _ run: WorkflowRunID, _ fields: [(String, Payload)]) {
        let data = Payload.map([("workflow_id", .string(run.workflowID)), ("run_id", .string(run.runID))] + fields)
        runtime.bus.send(BusEvent(system: "workflow", kind: kind, path: pid(of: run.workflowID).description, data: data))
    }

    private func notify(_ run: WorkflowRunID, _ status: WorkflowStatus, _ detail: String?) {
        var fields: [(String, Payload)] = [("status", .string(status.rawValue))]
        if let detail { fields.append(("detail", .string(detail))) }
        publish("workflow.\(status.rawValue)", run, fields)
        for observer in lifecycle.withLock({ $0 }) { observer(run, status, detail) }
    }
}

/// Starts the process that carries a workflow run: a Lua process with the run's session attached before
/// any of its code runs.
final class WorkflowStarter: ProcessStarter, @unchecked Sendable {
    let inner: LuaProcessStarter
    let session: WorkflowSession

    init(inner: LuaProcessStarter, session: WorkflowSession) {
        self.inner = inner
        self.session = session
    }

    func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
        let behavior = try inner.makeBehavior(for: process)
        if let lua = behavior as? LuaProcess { session.attach(to: lua) }
        return behavior
    }
}
