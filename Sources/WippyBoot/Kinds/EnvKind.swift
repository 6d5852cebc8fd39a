import WippyCore
import WippyResources

/// The registry handler of `env.storage.memory|file|os|static|router` and `env.variable` (lua-api-io §8.1),
/// and the registry's entry expander: every entry's data has its `${env:...}` placeholders resolved through
/// the env registry (declared variables first, then the OS environment) before its kind decodes it, while
/// the registry keeps the raw text.
///
/// Storages open while the changeset is prepared (a file storage reads its `.env` file then), so entries
/// later in the same changeset resolve placeholders against them; the dependency resolver orders an entry
/// after the variables its placeholders name. The staged catalog becomes live at commit. A memory storage
/// keeps its values when its entry is updated.
final class EnvKind: RegistryParticipant, RegistryEntryExpander, @unchecked Sendable {
    let registry: EnvRegistry
    let projectRoot: String
    // Staged by the running transaction (only the applying thread touches it).
    private var staged: EnvCatalog?

    init(registry: EnvRegistry, projectRoot: String) {
        self.registry = registry
        self.projectRoot = projectRoot
    }

    /// The catalog placeholders of the running changeset see.
    private var view: EnvCatalog { staged ?? registry.catalog }

    func handles(kind: String) -> Bool { EnvEntryConfig.kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        var catalog = view
        let id = change.id
        switch change.kind {
        case .delete:
            if change.entry.kind == "env.variable" { catalog.removeVariable(id) } else { catalog.setStorage(id, nil) }
        case .create, .update:
            let config = try EnvEntryConfig.decode(change.entry, projectRoot: projectRoot)
            switch config {
            case .variable(let variable):
                guard catalog.storages[variable.storage] != nil else {
                    throw WippyError("'storage': env storage \(variable.storage) does not exist", kind: .notFound, retryable: false)
                }
                try catalog.setVariable(variable)
            case .router(let members):
                for member in members where catalog.storages[member] == nil && member != id {
                    throw WippyError("'storages': env storage \(member) does not exist", kind: .notFound, retryable: false)
                }
                if members.contains(id) { throw WippyError.invalid("'storages': a router cannot list itself") }
                catalog.setStorage(id, .router(members))
            case .memory:
                if case .values(let existing as MemoryEnvStorage)? = catalog.storages[id] {
                    catalog.setStorage(id, .values(existing))
                } else {
                    catalog.setStorage(id, .values(MemoryEnvStorage()))
                }
            case .os:
                catalog.setStorage(id, .values(OSEnvStorage(id: id)))
            case .staticValues(let values):
                catalog.setStorage(id, .values(StaticEnvStorage(id: id, values: values)))
            case .file(let path, let autoCreate, let fileMode, let dirMode):
                catalog.setStorage(
                    id, .values(try FileEnvStorage(id: id, path: path, autoCreate: autoCreate, fileMode: fileMode, dirMode: dirMode)))
            }
        }
        staged = catalog
    }

    func commit(_ transaction: RegistryTransaction) {
        if let staged { registry.commit(staged) }
        staged = nil
    }

    func discard(_ transaction: RegistryTransaction) { staged = nil }

    // MARK: - RegistryEntryExpander

    func expand(_ entry: Entry, in transaction: RegistryTransaction) throws(WippyError) -> Entry {
        let catalog = view
        let expander = EnvEntryExpander(environment: EnvRegistry.lookup { catalog })
        return try expander.expand(entry)
    }
}
