import Dispatch
import Logging
import Synchronization
import WippyCore
import WippyRuntime
import WippyStore

/// The registry handler of `workflow.host`, our kind for durable workflows, and of Wippy's
/// `temporal.client` / `temporal.worker` entries, which the same embedded engine serves (no Temporal server):
/// each host or worker is a process host whose runs are journaled in a workflow store (`store`: a
/// `db.sql.sqlite` entry; absent, and always for Temporal workers: `.wippy/workflows.db` under the project).
/// `process.spawn(workflow, "<host id>", ...)` starts a run; the host's service recovers the unfinished runs
/// of its store when it starts. Workflow PIDs are `{node@host|workflow-id}`: `node` is the host's `node`
/// field (default: its entry ID), or for a Temporal worker its client's entry ID, as in Wippy.
final class WorkflowHostKind: RegistryParticipant, @unchecked Sendable {
    static let kinds: Set<String> = [WorkflowHostConfig.kind, TemporalWorkerConfig.kind, TemporalClientConfig.kind]

    struct Config: Equatable {
        var workers: Int
        var processMemoryLimit: Int?
        var lifecycle: LifecycleConfig
        /// The store file.
        var storePath: String
        /// The node part of the host's workflow PIDs.
        var nodeName: String
        /// Set for a `temporal.worker` (logged once when it is made).
        var temporalQueue: String?
    }

    let runtime: LuaRuntime
    let supervisor: Supervisor
    let projectRoot: String
    let stores: SharedWorkflowStores
    private let live = Mutex<[EntryID: (service: WorkflowHostService, config: Config)]>([:])
    private var staged: [EntryID: Config] = [:]
    private var removed: Set<EntryID> = []

    init(runtime: LuaRuntime, supervisor: Supervisor, projectRoot: String) {
        self.runtime = runtime
        self.supervisor = supervisor
        self.projectRoot = projectRoot
        stores = SharedWorkflowStores()
    }

    func handles(kind: String) -> Bool { WorkflowHostKind.kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            if change.entry.kind == TemporalClientConfig.kind {
                // Checked, and otherwise only named by workers: the engine needs no connection.
                _ = try TemporalClientConfig(entry: change.entry)
                return
            }
            let config = try config(of: change.entry, in: transaction)
            if change.kind == .update, let current = live.withLock({ $0[change.id]?.config }), current != config {
                throw WippyError.invalid("a workflow host cannot change while the runtime runs; restart wippy")
            }
            staged[change.id] = config
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        for id in removed.sorted() {
            guard live.withLock({ $0.removeValue(forKey: id) }) != nil else { continue }
            supervisor.remove(id)
            runtime.node.unregisterGateway(forHost: id.description)
            WorkflowIdentity.unregister(host: id.description)
            runtime.node.unregister(hostID: id.description)
        }
        for (id, config) in staged.sorted(by: { $0.key < $1.key }) where live.withLock({ $0[id] }) == nil {
            let host = runtime.makeHost(
                id: id.description, workers: config.workers, terminal: false, processMemoryLimit: config.processMemoryLimit)
            runtime.node.register(host: host)
            WorkflowIdentity.register(host: id.description)
            if let queue = config.temporalQueue {
                runtime.logger.info(
                    "temporal.worker \(id) (task queue \(queue)): served by the embedded workflow engine, no Temporal server; runs journaled in \(config.storePath)")
            }
            let service = WorkflowHostService(
                host: host, runtime: runtime, stores: stores, storePath: config.storePath, nodeName: config.nodeName,
                stopTimeout: config.lifecycle.stopTimeout)
            live.withLock { $0[id] = (service, config) }
            supervisor.register(id, service: service, lifecycle: config.lifecycle)
        }
        staged = [:]
        removed = []
        checkRunsInFlight(transaction)
    }

    /// Workflow code that changed: each engine replays its runs of it in flight against the new code, in the
    /// background, and reports the runs that would diverge.
    private func checkRunsInFlight(_ transaction: RegistryTransaction) {
        let changed = Set(transaction.applied.filter { $0.kind == .update && LuaCodeKind.kinds.contains($0.entry.kind) }.map(\.id))
        guard !changed.isEmpty else { return }
        for id in hostIDs { engine(id)?.codeChanged(changed) }
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }

    /// The engine of workflow host `id`, once its service started.
    func engine(_ id: EntryID) -> WorkflowEngine? { live.withLock { $0[id]?.service }?.engine }

    var hostIDs: [EntryID] { live.withLock { $0.keys.sorted() } }

    /// The host a `workflow.host` or `temporal.worker` entry describes.
    func config(of entry: Entry, in transaction: RegistryTransaction?) throws(WippyError) -> Config {
        let lookup: (EntryID) -> Entry? = { id in transaction?.entry(id) ?? self.runtime.registry?.snapshot.entry(id) }
        if entry.kind == TemporalWorkerConfig.kind {
            let worker = try TemporalWorkerConfig(entry: entry)
            guard let client = lookup(worker.client), client.kind == TemporalClientConfig.kind else {
                throw WippyError.notFound("temporal.worker \(entry.id): client \(worker.client) is not a temporal.client entry")
            }
            let host = try HostKind.config(of: entry)
            return Config(
                workers: host.workers, processMemoryLimit: host.processMemoryLimit, lifecycle: worker.lifecycle,
                storePath: WorkflowStoreLocation.defaultPath(projectRoot: projectRoot), nodeName: worker.pidNode,
                temporalQueue: worker.taskQueue)
        }
        let host = try WorkflowHostConfig(entry: entry)
        let path: String
        switch try host.storeLocation(projectRoot: projectRoot, entry: lookup) {
        case .embedded(let file), .sqlite(let file, _): path = file
        case .postgres(_, let database):
            throw WippyError.invalid("workflow host \(entry.id): store \(database) is PostgreSQL, which this build does not run yet")
        }
        return Config(
            workers: host.workers, processMemoryLimit: host.processMemoryLimit, lifecycle: host.lifecycle, storePath: path,
            nodeName: host.node, temporalQueue: nil)
    }
}

/// One open store per file, shared by the hosts that name it (each store has one writer thread; two on a
/// file would take turns on its lock). Closed when the last host using it stops.
final class SharedWorkflowStores: @unchecked Sendable {
    private let open = Mutex<[String: (store: SQLiteWorkflowStore, users: Int)]>([:])

    func acquire(_ path: String) throws(WippyError) -> SQLiteWorkflowStore {
        let found = open.withLock { open -> SQLiteWorkflowStore? in
            guard let entry = open[path] else { return nil }
            open[path] = (entry.store, entry.users + 1)
            return entry.store
        }
        if let found { return found }
        let store = try SQLiteWorkflowStore(path: path)
        return open.withLock { open in
            if let entry = open[path] {
                open[path] = (entry.store, entry.users + 1)
                store.close()
                return entry.store
            }
            open[path] = (store, 1)
            return store
        }
    }

    func release(_ path: String) {
        let closing = open.withLock { open -> SQLiteWorkflowStore? in
            guard let entry = open[path] else { return nil }
            if entry.users > 1 {
                open[path] = (entry.store, entry.users - 1)
                return nil
            }
            open[path] = nil
            return entry.store
        }
        closing?.close()
    }
}

/// A workflow host under supervision: starting it starts its workers, opens its store and resumes the
/// unfinished runs; stopping it stops the workers, then closes the store (what is pending is committed).
final class WorkflowHostService: SupervisedService, @unchecked Sendable {
    let host: ProcessHost
    let runtime: LuaRuntime
    let storePath: String
    let nodeName: String
    let stopTimeout: Duration
    let stores: SharedWorkflowStores
    private let state = Mutex<(engine: WorkflowEngine?, store: SQLiteWorkflowStore?)>((nil, nil))

    init(
        host: ProcessHost, runtime: LuaRuntime, stores: SharedWorkflowStores, storePath: String, nodeName: String,
        stopTimeout: Duration
    ) {
        self.host = host
        self.runtime = runtime
        self.stores = stores
        self.storePath = storePath
        self.nodeName = nodeName
        self.stopTimeout = stopTimeout
    }

    var engine: WorkflowEngine? { state.withLock { $0.engine } }

    func start(_ run: ServiceRun) {
        host.start()
        guard host.isRunning else { return run.exited(.terminal("host \(host.id) was stopped and cannot start again")) }
        let store: SQLiteWorkflowStore
        do {
            store = try stores.acquire(storePath)
        } catch {
            return run.exited(.terminal("workflow host \(host.id): \(error.message)"))
        }
        let engine = WorkflowEngine(hostID: host.id, nodeName: nodeName, store: store, runtime: runtime, host: host)
        state.withLock { $0 = (engine, store) }
        runtime.node.register(gateway: engine, forHost: host.id)
        let logger = runtime.logger
        let hostID = host.id
        engine.recover { result in
            switch result {
            case .success(let count):
                if count > 0 { logger.info("workflow host \(hostID): resumed \(count) unfinished workflow runs") }
                run.started()
            case .failure(let error):
                run.exited(.terminal("workflow host \(hostID): cannot read its store: \(error.message)"))
            }
        }
    }

    func stop(_ run: ServiceRun) {
        let store = state.withLock { $0.store }
        if let engine { engine.detach() }
        let host = self.host
        let timeout = stopTimeout
        let stores = self.stores
        let path = storePath
        DispatchQueue.global().async { [engine] in
            engine?.replayChecks.stop()
            host.stop(timeout: timeout)
            if store != nil { stores.release(path) }
            run.exited(.normal)
        }
    }
}
