import Dispatch
import Logging
import Synchronization
import WippyCore
import WippyRuntime
import WippyStore

/// The registry handler of `workflow.host`, our kind for durable workflows: a process host whose runs are
/// journaled in a workflow store (`store`: a `db.sql.sqlite` entry; absent: `.wippy/workflows.db` under the
/// project). `process.spawn(workflow, "<host id>", ...)` starts a run; the host's service recovers the
/// unfinished runs of its store when it starts. Workflow PIDs are `{node@host|workflow-id}`, where `node`
/// is the host's `node` field (default: the host's entry ID).
final class WorkflowHostKind: RegistryParticipant, @unchecked Sendable {
    static let kind = "workflow.host"

    struct Config: Equatable {
        var host: HostKind.Config
        /// The store file.
        var storePath: String
        /// The node part of the host's workflow PIDs.
        var nodeName: String
    }

    let runtime: LuaRuntime
    let supervisor: Supervisor
    let projectRoot: String
    private let live = Mutex<[EntryID: (service: WorkflowHostService, config: Config)]>([:])
    private var staged: [EntryID: Config] = [:]
    private var removed: Set<EntryID> = []

    init(runtime: LuaRuntime, supervisor: Supervisor, projectRoot: String) {
        self.runtime = runtime
        self.supervisor = supervisor
        self.projectRoot = projectRoot
    }

    func handles(kind: String) -> Bool { kind == WorkflowHostKind.kind }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
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
                id: id.description, workers: config.host.workers, terminal: false, processMemoryLimit: config.host.processMemoryLimit)
            runtime.node.register(host: host)
            WorkflowIdentity.register(host: id.description)
            let service = WorkflowHostService(
                host: host, runtime: runtime, storePath: config.storePath, nodeName: config.nodeName,
                stopTimeout: config.host.lifecycle.stopTimeout)
            live.withLock { $0[id] = (service, config) }
            supervisor.register(id, service: service, lifecycle: config.host.lifecycle)
        }
        staged = [:]
        removed = []
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }

    /// The engine of workflow host `id`, once its service started.
    func engine(_ id: EntryID) -> WorkflowEngine? { live.withLock { $0[id]?.service }?.engine }

    var hostIDs: [EntryID] { live.withLock { $0.keys.sorted() } }

    /// The store file a `workflow.host` entry names.
    func config(of entry: Entry, in transaction: RegistryTransaction?) throws(WippyError) -> Config {
        let host = try HostKind.config(of: entry)
        let path: String
        switch entry.data["store"] {
        case nil, .null?:
            path = SQLiteWorkflowStore.defaultPath(projectRoot: projectRoot)
        case .string(let name)?:
            let storeID = EntryID.resolve(name, in: entry.id.namespace)
            guard let store = transaction?.entry(storeID) ?? runtime.registry?.snapshot.entry(storeID) else {
                throw WippyError.notFound("workflow host \(entry.id): store \(storeID) is not in the registry")
            }
            switch store.kind {
            case "db.sql.sqlite":
                guard let file = store.data["file"]?.stringValue, !file.isEmpty, file != ":memory:" else {
                    throw WippyError.invalid("workflow host \(entry.id): store \(storeID) needs a file (not :memory:) to be durable")
                }
                path = file.hasPrefix("/") ? file : (projectRoot.isEmpty ? "." : projectRoot) + "/" + file
            case "db.sql.postgres":
                throw WippyError.invalid("workflow host \(entry.id): PostgreSQL stores are not available in this build yet")
            default:
                throw WippyError.invalid(
                    "workflow host \(entry.id): store \(storeID) is a \(store.kind) entry; it must be db.sql.sqlite or db.sql.postgres")
            }
        default:
            throw WippyError.invalid("workflow host \(entry.id): store must be an entry ID")
        }
        var node = entry.id.description
        if let value = entry.data["node"], !value.isNull {
            guard let text = value.stringValue, !text.isEmpty else { throw WippyError.invalid("workflow host \(entry.id): node must be a string") }
            node = text
        }
        return Config(host: host, storePath: path, nodeName: node)
    }
}

/// A workflow host under supervision: starting it starts its workers, opens its store and resumes the
/// unfinished runs; stopping it stops the workers, then closes the store (what is pending is committed).
final class WorkflowHostService: SupervisedService, @unchecked Sendable {
    let host: ProcessHost
    let runtime: LuaRuntime
    let storePath: String
    let nodeName: String
    let hostService: HostService
    private let state = Mutex<(engine: WorkflowEngine?, store: SQLiteWorkflowStore?)>((nil, nil))

    init(host: ProcessHost, runtime: LuaRuntime, storePath: String, nodeName: String, stopTimeout: Duration) {
        self.host = host
        self.runtime = runtime
        self.storePath = storePath
        self.nodeName = nodeName
        hostService = HostService(host: host, stopTimeout: stopTimeout)
    }

    var engine: WorkflowEngine? { state.withLock { $0.engine } }

    func start(_ run: ServiceRun) {
        host.start()
        guard host.isRunning else { return run.exited(.terminal("host \(host.id) was stopped and cannot start again")) }
        let store: SQLiteWorkflowStore
        do {
            store = try SQLiteWorkflowStore(path: storePath)
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
        let timeout = hostService.stopTimeout
        DispatchQueue.global().async {
            host.stop(timeout: timeout)
            store?.close()
            run.exited(.normal)
        }
    }
}
