import Dispatch
import Foundation
import Logging
import Synchronization
import WippyCore
import WippyRuntime
import WippyStore

/// The registry handler of `workflow.host`, our kind for durable workflows, and of Wippy's
/// `temporal.client` / `temporal.worker` entries, which the same embedded engine serves (no Temporal server):
/// each host or worker is a process host whose runs are journaled in a workflow store (`store`: a
/// `db.sql.sqlite` or `db.sql.postgres` entry; absent, and always for Temporal workers:
/// `.wippy/workflows.db` under the project). On PostgreSQL, every node running the app shares the runs:
/// each holds its runs through leases and takes over those of a node that died.
/// `process.spawn(workflow, "<host id>", ...)` starts a run; the host's service recovers the unfinished runs
/// of its store when it starts. Workflow PIDs are `{node@host|workflow-id}`: `node` is the host's `node`
/// field (default: its entry ID), or for a Temporal worker its client's entry ID, as in Wippy.
final class WorkflowHostKind: RegistryParticipant, @unchecked Sendable {
    static let kinds: Set<String> = [WorkflowHostConfig.kind, TemporalWorkerConfig.kind, TemporalClientConfig.kind]

    struct Config: Equatable {
        var workers: Int
        var processMemoryLimit: Int?
        var lifecycle: LifecycleConfig
        /// Where the runs are kept.
        var store: WorkflowStoreLocation
        var evictAfter: Duration?
        var lease: Duration
        /// The node part of the host's workflow PIDs.
        var nodeName: String
        /// Set for a `temporal.worker` (logged once when it is made).
        var temporalQueue: String?
    }

    let runtime: LuaRuntime
    let supervisor: Supervisor
    let projectRoot: String
    let stores: SharedWorkflowStores
    /// The code kind, which commits first: what code changed, the importers of a changed library included.
    let code: LuaCodeKind?
    private let live = Mutex<[EntryID: (service: WorkflowHostService, config: Config)]>([:])
    private var staged: [EntryID: Config] = [:]
    private var removed: Set<EntryID> = []

    init(runtime: LuaRuntime, supervisor: Supervisor, projectRoot: String, code: LuaCodeKind? = nil) {
        self.runtime = runtime
        self.supervisor = supervisor
        self.projectRoot = projectRoot
        self.code = code
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
                    "temporal.worker \(id) (task queue \(queue)): served by the embedded workflow engine, no Temporal server; runs journaled in \(config.store)")
            }
            let settings = WorkflowEngine.Settings(evictAfter: config.evictAfter, lease: config.lease)
            let service = WorkflowHostService(
                host: host, runtime: runtime, stores: stores, location: config.store, nodeName: config.nodeName,
                settings: settings, stopTimeout: config.lifecycle.stopTimeout)
            live.withLock { $0[id] = (service, config) }
            supervisor.register(id, service: service, lifecycle: config.lifecycle)
        }
        staged = [:]
        removed = []
        checkRunsInFlight(transaction)
    }

    /// Workflow code that changed: each engine replays its runs of it in flight against the new code, in the
    /// background, and reports the runs that would diverge. A workflow whose imported library changed (at any
    /// depth) counts as changed: its code as it now runs is different.
    private func checkRunsInFlight(_ transaction: RegistryTransaction) {
        var changed = Set(transaction.applied.filter { $0.kind == .update && LuaCodeKind.kinds.contains($0.entry.kind) }.map(\.id))
        if let code { changed.formUnion(code.changedInLastCommit) }
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
                store: .embedded(path: WorkflowStoreLocation.defaultPath(projectRoot: projectRoot)),
                evictAfter: WorkflowHostConfig.defaultEvictAfter, lease: WorkflowHostConfig.defaultLease, nodeName: worker.pidNode,
                temporalQueue: worker.taskQueue)
        }
        let host = try WorkflowHostConfig(entry: entry)
        return Config(
            workers: host.workers, processMemoryLimit: host.processMemoryLimit, lifecycle: host.lifecycle,
            store: try host.storeLocation(projectRoot: projectRoot, entry: lookup), evictAfter: host.evictAfter, lease: host.lease,
            nodeName: host.node, temporalQueue: nil)
    }
}

/// One open store per file or database, shared by the hosts that name it (each store has one writer; two
/// on a SQLite file would take turns on its lock). Closed when the last host using it stops.
final class SharedWorkflowStores: @unchecked Sendable {
    private let open = Mutex<[String: (store: any WorkflowStore, users: Int)]>([:])
    /// Held while a store opens: hosts naming one file start together, and a second open of a file being
    /// created would find it empty.
    private let opening = NSLock()

    func acquire(_ location: WorkflowStoreLocation, lease: Duration) throws(WippyError) -> any WorkflowStore {
        opening.lock()
        defer { opening.unlock() }
        let key = location.description
        let found = open.withLock { open -> (any WorkflowStore)? in
            guard let entry = open[key] else { return nil }
            open[key] = (entry.store, entry.users + 1)
            return entry.store
        }
        if let found { return found }
        let store: any WorkflowStore
        switch location {
        case .embedded(let path), .sqlite(let path, _):
            store = try SQLiteWorkflowStore(path: path)
        case .postgres(let config, _):
            store = try PostgresWorkflowStore(settings: config.connectionSettings, startLease: lease)
        }
        return open.withLock { open in
            if let entry = open[key] {
                open[key] = (entry.store, entry.users + 1)
                store.close()
                return entry.store
            }
            open[key] = (store, 1)
            return store
        }
    }

    func release(_ location: WorkflowStoreLocation) {
        let key = location.description
        let closing = open.withLock { open -> (any WorkflowStore)? in
            guard let entry = open[key] else { return nil }
            if entry.users > 1 {
                open[key] = (entry.store, entry.users - 1)
                return nil
            }
            open[key] = nil
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
    let location: WorkflowStoreLocation
    let nodeName: String
    let settings: WorkflowEngine.Settings
    let stopTimeout: Duration
    let stores: SharedWorkflowStores
    private let state = Mutex<(engine: WorkflowEngine?, store: (any WorkflowStore)?)>((nil, nil))

    init(
        host: ProcessHost, runtime: LuaRuntime, stores: SharedWorkflowStores, location: WorkflowStoreLocation, nodeName: String,
        settings: WorkflowEngine.Settings, stopTimeout: Duration
    ) {
        self.host = host
        self.runtime = runtime
        self.stores = stores
        self.location = location
        self.nodeName = nodeName
        self.settings = settings
        self.stopTimeout = stopTimeout
    }

    var engine: WorkflowEngine? { state.withLock { $0.engine } }

    func start(_ run: ServiceRun) {
        host.start()
        guard host.isRunning else { return run.exited(.terminal("host \(host.id) was stopped and cannot start again")) }
        let location = self.location, lease = settings.lease, stores = self.stores, hostID = host.id
        let open: @Sendable () -> Void = { [self] in
            let store: any WorkflowStore
            switch Result(catching: { () throws(WippyError) in try stores.acquire(location, lease: lease) }) {
            case .success(let opened): store = opened
            case .failure(let error): return run.exited(.terminal("workflow host \(hostID): \(error.message)"))
            }
            let engine = WorkflowEngine(
                hostID: host.id, nodeName: nodeName, store: store, runtime: runtime, host: host, settings: settings)
            state.withLock { $0 = (engine, store) }
            runtime.node.register(gateway: engine, forHost: host.id)
            let logger = runtime.logger
            if case .postgres = location {
                logger.info("workflow host \(hostID): runs kept in \(location), shared with other nodes (this node: \(engine.leaseOwner))")
            }
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
        // A SQLite store opens at once, so the host routes starts as soon as it runs; a PostgreSQL store waits
        // for the server, off the caller's thread.
        if case .postgres = location { DispatchQueue.global().async(execute: open) } else { open() }
    }

    func stop(_ run: ServiceRun) {
        let (engine, store) = state.withLock { ($0.engine, $0.store) }
        engine?.detach()
        let host = self.host
        let timeout = stopTimeout
        let stores = self.stores
        let location = self.location
        DispatchQueue.global().async {
            engine?.replayChecks.stop()
            host.stop(timeout: timeout)
            // The processes are gone: what they held goes back to the other nodes at once.
            engine?.releaseLeases()
            if store != nil { stores.release(location) }
            run.exited(.normal)
        }
    }
}
