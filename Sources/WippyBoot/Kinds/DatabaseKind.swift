import WippyCore
import WippyResources

/// The registry handler of `db.sql.sqlite` and `db.sql.postgres`: checks each entry's settings when it is
/// created or changed (a bad one rejects the changeset, naming the file, the entry and the field; the
/// running configuration stays as it was) and keeps ``DatabaseCatalog`` in step at commit.
///
/// Each entry is a live resource (what `sql.get` acquires): registered with the supervisor as a
/// ``ResourceService`` that opens it (``SQLDatabaseOpener``) and installs it in the runtime's
/// ``ResourceTable``; a start that fails is reported with the entry and the reason and retried under the
/// entry's `lifecycle` (resources always start: `auto_start` is taken as true). A changed entry replaces
/// the service: the new database is swapped in when it opens, work in flight finishes on the old one, which
/// is then closed. The workflow store of a `workflow.host` reads the configuration from the catalog.
/// `db.sql.mysql` (and the other Wippy SQL kinds) are refused by name.
///
/// Without a resource table (some tests) the entries are configuration only (``DatabaseService``).
final class DatabaseKind: RegistryParticipant, @unchecked Sendable {
    let catalog: DatabaseCatalog
    let supervisor: Supervisor
    let projectRoot: String
    let environment: EnvironmentLookup
    let resources: ResourceTable?
    // Staged by the running transaction (only the applying thread touches these).
    private var staged: [EntryID: DatabaseConfig] = [:]
    private var removed: Set<EntryID> = []

    init(
        catalog: DatabaseCatalog, supervisor: Supervisor, projectRoot: String, environment: EnvironmentLookup = .process,
        resources: ResourceTable? = nil
    ) {
        self.resources = resources
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
        for id in removed.sorted() where known[id] != nil {
            supervisor.remove(id)
            resources?.remove(id)
        }
        var toStart: [EntryID] = []
        for (id, config) in staged.sorted(by: { $0.key < $1.key }) {
            guard let resources else {
                if known[id] == nil { supervisor.register(id, service: DatabaseService(), lifecycle: config.lifecycle) }
                continue
            }
            guard known[id] != config else { continue }
            var lifecycle = config.lifecycle
            lifecycle.autoStart = true
            let kind = config.kind
            let service = ResourceService(id: id, kind: kind, table: resources) { () throws(WippyError) -> any Resource in
                try SQLDatabaseOpener.open(id, config)
            }
            if known[id] == nil {
                supervisor.register(id, service: service, lifecycle: lifecycle)
            } else {
                supervisor.replace(id, service: service, lifecycle: lifecycle)
            }
            toStart.append(id)
        }
        supervisor.start(toStart)
        staged = [:]
        removed = []
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }
}
