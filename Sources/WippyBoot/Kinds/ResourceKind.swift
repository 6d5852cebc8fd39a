import WippyCore
import WippyResources

/// The registry handler of resource entries that open quickly on the local machine (`fs.directory`,
/// `exec.native`, `exec.docker`): each is decoded when prepared (a bad one rejects the changeset, naming
/// the entry and field) and opened at commit, then installed in the runtime's ``WippyCore/ResourceTable``
/// (an update swaps the new resource in; leases taken keep the old one until released).
///
/// A resource that cannot open (a missing directory without `auto_init`) is recorded in the table with the
/// reason, so acquiring it says why, and handed to the supervisor as a ``ResourceService``, which retries
/// it under the entry's `lifecycle`; the rest of the application runs on.
final class ResourceKind: RegistryParticipant, @unchecked Sendable {
    /// Decodes an entry into what opens its resource.
    typealias Decoder = (Entry) throws(WippyError) -> (opener: ResourceService.Opener, lifecycle: LifecycleConfig)

    let kinds: Set<String>
    let decode: Decoder
    let resources: ResourceTable
    let supervisor: Supervisor
    // Staged by the running transaction (only the applying thread touches these).
    private var staged: [EntryID: (kind: String, opener: ResourceService.Opener, lifecycle: LifecycleConfig)] = [:]
    private var removed: Set<EntryID> = []
    /// Entries whose resource is retried by the supervisor.
    private var supervised: Set<EntryID> = []

    init(kinds: Set<String>, resources: ResourceTable, supervisor: Supervisor, decode: @escaping Decoder) {
        self.kinds = kinds
        self.resources = resources
        self.supervisor = supervisor
        self.decode = decode
    }

    func handles(kind: String) -> Bool { kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            let (opener, lifecycle) = try decode(change.entry)
            staged[change.id] = (change.entry.kind, opener, lifecycle)
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        for id in removed.sorted() {
            if supervised.remove(id) != nil { supervisor.remove(id) }
            resources.remove(id)
        }
        for (id, item) in staged.sorted(by: { $0.key < $1.key }) {
            do throws(WippyError) {
                resources.install(id, try item.opener())
                if supervised.remove(id) != nil { supervisor.remove(id) }
            } catch {
                let service = ResourceService(id: id, kind: item.kind, table: resources, open: item.opener)
                resources.fail(id, kind: item.kind, reason: error.message)
                supervised.insert(id)
                supervisor.replace(id, service: service, lifecycle: item.lifecycle)
                supervisor.start([id])
            }
        }
        staged = [:]
        removed = []
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }
}
