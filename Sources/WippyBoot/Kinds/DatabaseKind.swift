import WippyCore
import WippyResources

/// The registry handler of `db.sql.sqlite` and `db.sql.postgres`: checks each entry's settings when it is
/// created or changed (a bad one rejects the changeset, naming the file, the entry and the field; the
/// running configuration stays as it was) and keeps ``DatabaseCatalog`` in step at commit.
///
/// Here the entries are configuration only: the workflow store of a `workflow.host` names one, and nothing
/// is connected (the `sql` Lua module comes later). Each is registered with the supervisor as a
/// ``DatabaseService`` so services that `depends_on` a database start as in Wippy; an update changes the
/// configuration in place (Wippy swaps the pool live), without a restart. `db.sql.mysql` (and the other
/// Wippy SQL kinds) are refused by name.
final class DatabaseKind: RegistryParticipant, @unchecked Sendable {
    let catalog: DatabaseCatalog
    let supervisor: Supervisor
    let projectRoot: String
    let environment: EnvironmentLookup
    // Staged by the running transaction (only the applying thread touches these).
    private var staged: [EntryID: DatabaseConfig] = [:]
    private var removed: Set<EntryID> = []

    init(catalog: DatabaseCatalog, supervisor: Supervisor, projectRoot: String, environment: EnvironmentLookup = .process) {
        self.catalog = catalog
        self.supervisor = supervisor
        self.projectRoot = projectRoot
        self.environment = environment
    }

    func handles(kind: String) -> Bool {
        DatabaseConfig.kinds.contains(kind) || DatabaseConfig.unsupportedKinds.contains(kind)
    }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            staged[change.id] = try DatabaseConfig.decode(change.entry, projectRoot: projectRoot, environment: environment)
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        let known = catalog.all
        catalog.apply(staged: staged, removed: removed)
        for id in removed.sorted() where known[id] != nil { supervisor.remove(id) }
        for (id, config) in staged.sorted(by: { $0.key < $1.key }) where known[id] == nil {
            supervisor.register(id, service: DatabaseService(), lifecycle: config.lifecycle)
        }
        staged = [:]
        removed = []
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }
}
