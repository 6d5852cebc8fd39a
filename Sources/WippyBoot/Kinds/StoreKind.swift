import Dispatch
import Synchronization
import WippyCore
import WippyResources
import WippyRuntime
import WippyStore

/// The registry handler of `store.memory` and `store.sql`: checks each entry when it is created or changed
/// (a bad one rejects the changeset naming the entry and the field), and keeps one ``ResourceService`` per
/// entry under the supervisor, which opens the store and installs it in the runtime's ``ResourceTable``.
/// A changed entry is swapped live (new `store.get` calls get the new store; handles already taken finish
/// on the old one); a deleted one stops being served. `store.kv.raft` / `store.kv.crdt` are refused by name.
///
/// `store.sql` runs on the live `db.sql.*` resource its entry names (``SQLDatabaseStoreConnection``): the
/// database's own connections, leased statement by statement.
final class StoreKind: RegistryParticipant, @unchecked Sendable {
    let resources: ResourceTable
    let supervisor: Supervisor
    let databases: DatabaseCatalog
    let environment: EnvironmentLookup
    private let live = Mutex<[EntryID: StoreConfig]>([:])
    private let running = Atomic<Bool>(false)
    // Staged by the running transaction.
    private var staged: [EntryID: StoreConfig] = [:]
    private var removed: Set<EntryID> = []

    init(resources: ResourceTable, supervisor: Supervisor, databases: DatabaseCatalog, environment: EnvironmentLookup = .process) {
        self.resources = resources
        self.supervisor = supervisor
        self.databases = databases
        self.environment = environment
    }

    func handles(kind: String) -> Bool { StoreConfig.kinds.contains(kind) || StoreConfig.unsupportedKinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            staged[change.id] = try StoreConfig.decode(change.entry, environment: environment) { transaction.entry($0)?.kind }
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        for id in removed.sorted() where live.withLock({ $0.removeValue(forKey: id) }) != nil {
            supervisor.remove(id)
            resources.remove(id)
        }
        var toStart: [EntryID] = []
        for (id, config) in staged.sorted(by: { $0.key < $1.key }) {
            var needs: EntryID?
            if case .sql(let database, _, _, _) = config { needs = database }
            let service = ResourceService(id: id, kind: kindName(config), table: resources, needs: needs, open: opener(id, config))
            let existed = live.withLock { live -> Bool in
                defer { live[id] = config }
                return live[id] != nil
            }
            if supervisor.install(id, service: service, lifecycle: config.lifecycle, replacing: existed) { toStart.append(id) }
        }
        staged = [:]
        removed = []
        if running.load(ordering: .acquiring) { supervisor.start(toStart) }
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }

    /// From now on, new `auto_start` stores open when they are committed.
    func markRunning() { running.store(true, ordering: .releasing) }

    private func kindName(_ config: StoreConfig) -> String {
        switch config {
        case .memory: MemoryKeyValueStore.kindName
        case .sql: SQLKeyValueStore.kindName
        }
    }

    private func opener(_ id: EntryID, _ config: StoreConfig) -> ResourceService.Opener {
        let databases = databases
        switch config {
        case .memory(let maxSize, let interval, _):
            return { () throws(WippyError) in MemoryKeyValueStore(maxSize: maxSize, cleanupInterval: interval) }
        case .sql(let database, let layout, let interval, _):
            let resources = resources
            return { () throws(WippyError) in
                guard databases.config(database) != nil else {
                    throw WippyError.notFound("database \(database) is not declared")
                }
                // The database may still be opening (both start at boot): wait for it, never for long.
                let settled = DispatchSemaphore(value: 0)
                resources.whenStarted(database) { settled.signal() }
                _ = settled.wait(timeout: .now() + .seconds(30))
                let connection = try SQLDatabaseStoreConnection(resources: resources, id: database)
                return try SQLKeyValueStore(connection: connection, layout: layout, cleanupInterval: interval)
            }
        }
    }
}
