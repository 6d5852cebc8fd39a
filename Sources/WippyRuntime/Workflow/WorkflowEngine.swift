import Foundation
import Logging
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
    public let settings: Settings
    /// This engine's name in a store shared by several nodes (its leases' owner): unique per process.
    public let leaseOwner: String
    /// The runs this engine holds in memory, by workflow id.
    let residents = Mutex<[String: Resident]>([:])
    /// Claims, lease renewals and wakes of parked runs (started by ``recover(completion:)``).
    var residency: WorkflowResidency?
    private let counter = Atomic<UInt64>(0)
    private let prefix = UUID().uuidString.prefix(8).lowercased()
    public typealias LifecycleObserver = @Sendable (WorkflowRunID, WorkflowStatus, String?) -> Void
    private let lifecycle = Mutex<[LifecycleObserver]>([])
    /// Replays of in-flight runs against changed code (``codeChanged(_:)``).
    public let replayChecks = WorkflowReplayChecker()

    /// Calls `observer` (on the run's worker) when a run ends or blocks: its status and detail.
    public func onLifecycle(_ observer: @escaping LifecycleObserver) { lifecycle.withLock { $0.append(observer) } }

    /// How the engine keeps runs in memory.
    public struct Settings: Sendable {
        /// A run parked (on timers or signals) this long leaves memory; nil: never.
        public var evictAfter: Duration?
        /// How long this node holds a run of a shared store without renewing (PostgreSQL).
        public var lease: Duration
        /// How often parked runs whose time has come, and (shared store) unowned runs, are looked for.
        public var pollInterval: Duration

        public init(evictAfter: Duration? = .seconds(30), lease: Duration = .seconds(15), pollInterval: Duration = .milliseconds(500)) {
            self.evictAfter = evictAfter
            self.lease = lease
            self.pollInterval = pollInterval
        }
    }

    public init(
        hostID: String, nodeName: String, store: any WorkflowStore, runtime: LuaRuntime, host: ProcessHost,
        settings: Settings = Settings()
    ) {
        self.hostID = hostID
        self.nodeName = nodeName
        self.store = store
        self.runtime = runtime
        self.host = host
        self.settings = settings
        logger = runtime.logger
        leaseOwner = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(prefix)"
        evictAfter = settings.evictAfter.map(WorkflowResidency.nanoseconds)
    }

    /// The store as a cluster store, when it is one.
    var leaseStore: (any WorkflowLeaseStore)? { store as? any WorkflowLeaseStore }

    public let evictAfter: Int64?

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
        let fence = leaseStore == nil ? nil : WorkflowFence(owner: leaseOwner, generation: 1)
        let existing = residents.withLock { residents -> WorkflowRunID? in
            if let current = residents[id] { return current.run }
            residents[id] = Resident(run: run, fence: fence)
            return nil
        }
        if existing != nil { return joinExisting(id, start, policy: policy, completion: completion) }
        guard chosen != nil, let signals = store as? any WorkflowSignalStore else {
            return begin(start, id: id, run: run, program: program, fence: fence, policy: policy, completion: completion)
        }
        // A chosen id may name a run that is not in memory here (parked, paused, blocked, or held by another node).
        signals.runs(workflowID: id) { [self] found in
            switch found {
            case .success(let records) where records.contains(where: { !$0.status.isFinal }):
                residents.withLock { residents in
                    if residents[id]?.run == run { residents.removeValue(forKey: id) }
                }
                joinExisting(id, start, policy: policy, completion: completion)
            case .success:
                begin(start, id: id, run: run, program: program, fence: fence, policy: policy, completion: completion)
            case .failure(let error):
                residents.withLock { residents in
                    if residents[id]?.run == run { residents.removeValue(forKey: id) }
                }
                completion(.failure(error))
            }
        }
    }

    /// A start that found workflow `id` running: its PID under `use_existing` (the start's messages become
    /// signals), else `AlreadyExists`.
    private func joinExisting(
        _ id: String, _ start: Start, policy: ConflictPolicy, completion: @escaping @Sendable (Result<PID, WippyError>) -> Void
    ) {
        guard policy == .useExisting else {
            return completion(.failure(.alreadyExists("workflow \(id) is already running")))
        }
        for message in start.messages { signal(workflowID: id, message) { _ in } }
        if start.monitor, let parent = start.parent { monitor(id, watcher: parent) }
        completion(.success(pid(of: id)))
    }

    /// Records and launches a new run (its id is held here already).
    private func begin(
        _ start: Start, id: String, run: WorkflowRunID, program: LuaProgram, fence: WorkflowFence?, policy: ConflictPolicy,
        completion: @escaping @Sendable (Result<PID, WippyError>) -> Void
    ) {
        let pid = self.pid(of: id)
        let now = WorkflowSession.wallClock
        let record = newRecord(run, entry: start.entry, program: program, arguments: start.arguments, context: start.context)
        var events = [WorkflowSession.startEvent(time: now, seed: UInt64.random(in: 0...UInt64.max))]
        for message in start.messages {
            events.append(JournalEvent(
                seq: UInt64(events.count + 1), kind: "signal", key: message.topic,
                payload: WorkflowJournalCodec.event(time: now, WorkflowSession.encode(message))))
        }
        let journal = events
        store.submit(.start(record, events: journal, owner: fence?.owner)) { [self] result in
            switch result {
            case .failure(let error):
                residents.withLock { residents in
                    if residents[id]?.run == run { residents.removeValue(forKey: id) }
                }
                // A chosen id that another node started between the look and the write (the store allows one
                // open run per workflow ID): joined like one found by the look.
                if start.workflowID != nil, error.kind == .alreadyExists {
                    return joinExisting(id, start, policy: policy, completion: completion)
                }
                completion(.failure(error))
            case .success:
                // Published before the run can end, so a watcher sees started before completed.
                publish("workflow.started", record.run, [("entry", .string(record.entry.description))])
                launch(
                    record, journal: journal, fence: fence, arguments: start.arguments, context: start.context, parent: start.parent,
                    monitor: start.monitor, program: program)
                completion(.success(pid))
            }
        }
    }

    /// The record of a new run of `entry` on this host. The run is pinned to the code it starts with: the
    /// entry's fields are kept with the run, so a replay compiles exactly that code, whatever the registry
    /// holds by then (a file reload is not a recorded registry version, so the version number alone would not
    /// find it again). `extra` fields go into its input too.
    func newRecord(
        _ run: WorkflowRunID, entry: EntryID, program: LuaProgram, arguments: [Payload], context: ExecutionContext,
        extra: [(String, Payload)] = []
    ) -> WorkflowRecord {
        let code = runtime.registry?.snapshot.entry(entry)?.data ?? .null
        return WorkflowRecord(
            run: run, entry: entry, entryKind: program.kind.rawValue,
            registryVersion: runtime.registry?.version ?? 0,
            input: (try? PayloadArchive.encode(.map([
                ("args", .array(arguments)),
                ("context", .map(context.values.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })),
                ("code", code), ("host", .string(hostID)),
            ] + extra))) ?? [], host: hostID)
    }

    /// Spawns the process that carries `record`'s run, replaying `journal`. `current` is the program a new
    /// run starts with (the one its record pins): a start does not decode the code it just encoded to find it.
    private func launch(
        _ record: WorkflowRecord, journal: [JournalEvent], fence: WorkflowFence?, resumed: Bool = false, arguments: [Payload],
        context: ExecutionContext, parent: PID?, monitor: Bool, program current: LuaProgram? = nil
    ) {
        let program: LuaProgram
        do throws(WippyError) {
            if let current { program = current } else { program = try pinnedProgram(record) }
        } catch {
            // The code it is pinned to cannot run here: it never will, so the run is blocked for an operator
            // (not retried at every wake).
            let reason = "workflow \(record.run.workflowID) (\(record.entry)) is blocked: its code cannot run: \(error.message)"
            logger.error("\(reason)")
            store.submit(WorkflowWrite(run: record.run, status: .blocked, result: Array(reason.utf8), fence: fence)) { _ in }
            notify(record.run, .blocked, reason)
            dropResident(record.run)
            return
        }
        let session = WorkflowSession(record: record, journal: journal, store: store, observer: self)
        session.fence = fence
        session.fetchSignalsAtStart = resumed
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
        let program = try LuaEntryCompiler(modules: runtime.modules).compile(entry)
        pinned.withLock { $0[record.entry, default: []].append((code, program)) }
        return program
    }

    /// Resumes the unfinished runs of this host that need a node now (at boot), then keeps looking for runs
    /// to take: parked runs whose timer is due or that got a signal, and (shared store) runs no live node
    /// holds. `completion` gets how many runs the first pass resumed.
    public func recover(completion: @escaping @Sendable (Result<Int, WippyError>) -> Void) {
        let residency = WorkflowResidency(engine: self)
        self.residency = residency
        residency.start(completion: completion)
    }

    /// Resumes `record`'s run from its journal (held with `fence` in a shared store); false when the run
    /// is already in memory here.
    @discardableResult
    func resume(_ record: WorkflowRecord, fence: WorkflowFence?, completion: (@Sendable (Bool) -> Void)? = nil) -> Bool {
        let id = record.run.workflowID
        let claimed = residents.withLock { residents -> Bool in
            guard residents[id] == nil else { return false }
            residents[id] = Resident(run: record.run, fence: fence)
            return true
        }
        guard claimed else { return false }
        store.load(record.run) { [self] loaded in
            switch loaded {
            case .success(let run?) where run.record.status == .running:
                let input = (try? PayloadArchive.decode(run.record.input)) ?? .null
                let arguments = input["args"]?.tableValue?.array ?? []
                var context = ExecutionContext.empty
                for field in input["context"]?.tableValue?.fields ?? [] {
                    if let key = field.key.stringValue { context.values[key] = field.value }
                }
                publish("workflow.resumed", run.record.run, [("journal_length", .int(Int64(run.events.count)))])
                launch(
                    run.record, journal: run.events, fence: fence, resumed: true, arguments: arguments, context: context, parent: nil,
                    monitor: false)
                completion?(true)
            case .success:
                // Ended meanwhile (another node, an operator): nothing to resume.
                dropResident(record.run)
                completion?(false)
            case .failure(let error):
                // A damaged journal is reported and never replayed: the run is blocked (visible to operators,
                // and no node takes it again), unless the store could not be read at all.
                logger.error("workflow \(record.run.workflowID) not resumed: \(error.message)")
                if error.kind == .invalid {
                    let reason = "workflow \(record.run.workflowID) (\(record.entry)) is blocked: \(error.message)"
                    store.submit(WorkflowWrite(run: record.run, status: .blocked, result: Array(reason.utf8), fence: fence)) { _ in }
                    notify(record.run, .blocked, reason)
                }
                dropResident(record.run)
                completion?(false)
            }
        }
        return true
    }

    /// Forgets `run` here (and gives up its lease in a shared store).
    func dropResident(_ run: WorkflowRunID) {
        let dropped = residents.withLock { residents -> Resident? in
            guard residents[run.workflowID]?.run == run else { return nil }
            return residents.removeValue(forKey: run.workflowID)
        }
        if let fence = dropped?.fence, let leaseStore, !isStopping {
            leaseStore.release(node: leaseOwner, [run: fence]) { _ in }
        }
        if dropped != nil { residency?.wake() }
    }

    /// True when this host runs `record`'s run (hosts may share a store).
    func isOwnHost(_ record: WorkflowRecord) -> Bool {
        if !record.host.isEmpty { return record.host == hostID }
        let host = (try? PayloadArchive.decode(record.input))?["host"]?.stringValue
        return host == nil || host == hostID
    }

    /// Stops routing to this engine (its host is stopping); the host label stays a workflow host.
    public func detach() {
        stopping.store(true, ordering: .releasing)
        residency?.stop()
        if runtime.node.gateway(forHost: hostID) === self { runtime.node.unregisterGateway(forHost: hostID) }
        WorkflowIdentity.register(host: hostID)
    }

    private let stopping = Atomic<Bool>(false)

    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// Workflow ids in flight here.
    public var activeWorkflows: [String] { residents.withLock { $0.filter { !$0.value.leaving }.map(\.key) } }

    /// Gives up the leases of the runs still held (the host stopped: their processes are gone), so other
    /// nodes take them over at once.
    public func releaseLeases() {
        guard let leaseStore else { return }
        let held = residents.withLock { residents -> [WorkflowRunID: WorkflowFence] in
            var held: [WorkflowRunID: WorkflowFence] = [:]
            for resident in residents.values { if let fence = resident.fence { held[resident.run] = fence } }
            residents.removeAll()
            return held
        }
        guard !held.isEmpty else { return }
        let done = DispatchSemaphore(value: 0)
        leaseStore.release(node: leaseOwner, held) { _ in done.signal() }
        _ = done.wait(timeout: .now() + 10)
    }

    // MARK: - WorkflowGateway

    public func signal(workflowID id: String, _ message: Message, completion: @escaping @Sendable (WippyError?) -> Void) {
        let resident = residents.withLock { $0[id] }
        if let resident, !resident.leaving, runtime.node.send(to: pid(of: id), .message(message)) { return completion(nil) }
        // Not in memory here (parked, on another node, or starting): a signal row the run takes when it runs.
        record(.message(message), for: id, completion: completion)
    }

    /// Records `envelope` for workflow `id` in the store; the run that holds it (here or on another node) is
    /// woken to take it.
    func record(_ envelope: WorkflowSignalEnvelope, for id: String, completion: @escaping @Sendable (WippyError?) -> Void) {
        guard let signals = store as? any WorkflowSignalStore else {
            return completion(WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
        }
        let row = envelope.row
        signals.signal(workflowID: id, topic: row.topic, sender: row.sender, payload: row.payload) { [self] result in
            switch result {
            case .success:
                residency?.woken(id)
                completion(nil)
            case .failure(let error) where error.kind == .notFound || error.kind == .conflict:
                completion(WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
            case .failure(let error):
                completion(error)
            }
        }
    }

    public func cancel(
        workflowID id: String, from: PID?, reason: String, terminate: Bool, completion: @escaping @Sendable (WippyError?) -> Void
    ) {
        let pid = pid(of: id)
        let resident = residents.withLock { $0[id] }
        guard terminate else {
            if let resident, !resident.leaving, runtime.node.cancel(pid, from: from, reason: reason) { return completion(nil) }
            return record(.cancel(from: from, reason: reason), for: id, completion: completion)
        }
        guard let resident, !resident.leaving else { return terminateAway(id, reason: reason, completion: completion) }
        let run = resident.run
        // The end is written first, then the process is ended (its monitors get EXIT): a crash in between
        // leaves a terminated run, never one that comes back.
        let error = ProcessResult.terminated.error ?? WippyError("process terminated", kind: .internal)
        let result = (try? PayloadArchive.encode(.error(error))) ?? []
        store.submit(WorkflowWrite(run: run, status: .terminated, result: result, fence: resident.fence)) { [self] written in
            if case .failure(let failure) = written { return completion(failure) }
            residents.withLock { residents in
                if residents[id]?.run == run { residents.removeValue(forKey: id) }
            }
            runtime.node.terminate(pid)
            notify(run, .terminated, reason)
            completion(nil)
        }
    }

    /// Terminates workflow `id`, whose run is not in memory here: its end is written directly when no node
    /// holds it, else the node that does is asked to (a store row).
    private func terminateAway(_ id: String, reason: String, completion: @escaping @Sendable (WippyError?) -> Void) {
        guard let signals = store as? any WorkflowSignalStore else {
            return completion(WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
        }
        // Every running run of the id, parked on a signal (wake `Int64.max`) included.
        signals.readyRuns(before: Int64.max, workflowIDs: [id], limit: 1) { [self] found in
            guard case .success(let records) = found, let away = records.first else {
                return completion(WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
            }
            let error = ProcessResult.terminated.error ?? WippyError("process terminated", kind: .internal)
            let result = (try? PayloadArchive.encode(.error(error))) ?? []
            store.submit(WorkflowWrite(run: away.run, status: .terminated, result: result)) { [self] written in
                switch written {
                case .success:
                    notify(away.run, .terminated, reason)
                    completion(nil)
                case .failure(let failure) where failure.kind == .conflict && leaseStore != nil:
                    // Another node holds the run: it terminates it when it takes the row.
                    record(.terminate, for: id, completion: completion)
                case .failure(let failure):
                    completion(failure)
                }
            }
        }
    }

    // MARK: - WorkflowSessionObserver

    public func sessionEnding(_ session: WorkflowSession, status: WorkflowStatus, result: ProcessResult) {
        residents.withLock { residents in
            if residents[session.run.workflowID]?.run == session.run { residents.removeValue(forKey: session.run.workflowID) }
        }
        notify(session.run, status, result.error?.message)
    }

    public func sessionPokable(_ session: WorkflowSession, poke: @escaping @Sendable (WorkflowPoke) -> Void) {
        let wanted = residents.withLock { residents -> Bool in
            guard var resident = residents[session.run.workflowID], resident.run == session.run else { return false }
            resident.poke = poke
            let wanted = resident.pokeWanted
            resident.pokeWanted = false
            residents[session.run.workflowID] = resident
            return wanted
        }
        if wanted { poke(.signals) }
    }

    /// Wakes the run of workflow `id` held here to take its store signals; false when it is not held here.
    func poke(_ id: String) -> Bool {
        let poke = residents.withLock { residents -> ((@Sendable (WorkflowPoke) -> Void)?, Bool) in
            guard var resident = residents[id] else { return (nil, false) }
            if resident.leaving { return (nil, false) }
            if resident.poke == nil {
                resident.pokeWanted = true
                residents[id] = resident
            }
            return (resident.poke, true)
        }
        poke.0?(.signals)
        return poke.1
    }

    /// Makes the runs of `runs` leave memory without writing (this node lost them).
    func lost(_ runs: [WorkflowRunID]) {
        for run in runs {
            let poke = residents.withLock { residents -> (@Sendable (WorkflowPoke) -> Void)? in
                guard var resident = residents[run.workflowID], resident.run == run else { return nil }
                resident.fence = nil
                residents[run.workflowID] = resident
                return resident.poke
            }
            logger.warning("workflow \(run.workflowID): this node lost its lease; another node continues it")
            poke?(.leave)
        }
    }

    public func sessionLeaving(_ session: WorkflowSession, reason: String) {
        let pid = pid(of: session.run.workflowID)
        residents.withLock { residents in
            if residents[session.run.workflowID]?.run == session.run { residents[session.run.workflowID]?.leaving = true }
        }
        // Its watchers wait with the engine: they see EXIT when the run ends, wherever it comes back.
        let watchers = runtime.node.takeWatchers(of: pid)
        if !watchers.isEmpty { pendingMonitors.withLock { $0[session.run.workflowID, default: []].append(contentsOf: watchers) } }
        publish("workflow.\(reason == "evicted" ? "evicted" : "released")", session.run, [("reason", .string(reason))])
    }

    public func sessionRerouted(_ session: WorkflowSession, _ item: MailboxItem) {
        let id = session.run.workflowID
        switch item {
        case .message(let message): record(.message(message), for: id) { _ in }
        case .event(.cancel(let from, let reason)): record(.cancel(from: from, reason: reason), for: id) { _ in }
        case .event: break
        }
    }

    public func sessionAskedToTerminate(_ session: WorkflowSession) {
        cancel(workflowID: session.run.workflowID, from: nil, reason: "terminated", terminate: true) { _ in }
    }

    public func sessionGone(_ session: WorkflowSession) {
        guard !isStopping, session.isLeaving else { return }
        dropResident(session.run)
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
        // The run cannot go on here (a lost lease, a failed disk): it leaves memory; its journal is intact.
        residents.withLock { residents in
            if residents[session.run.workflowID]?.run == session.run { residents[session.run.workflowID]?.fence = nil }
        }
        session.leave(reason: "write failed")
    }

    /// A lifecycle event on the bus: system `workflow`, path the workflow PID.
    func publish(_ kind: String, _ run: WorkflowRunID, _ fields: [(String, Payload)]) {
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
