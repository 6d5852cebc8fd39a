public import WippyCore
import Synchronization

/// The live env registry: the committed ``EnvCatalog``, shared by the `env` Lua module and the placeholder
/// lookups. It sits in the runtime's ``WippyCore/ResourceTable`` under ``tableID`` (the module finds it there).
public final class EnvRegistry: Resource {
    /// The resource-table ID the registry is installed under.
    public static let tableID = EntryID(namespace: "wippy.env", name: "registry")

    public let kind = "env.registry"
    private let state = Mutex(EnvCatalog())

    public init() {}

    /// The committed catalog.
    public var catalog: EnvCatalog { state.withLock { $0 } }

    /// Makes `catalog` the committed one.
    public func commit(_ catalog: EnvCatalog) { state.withLock { $0 = catalog } }

    public func close() {}

    /// Placeholder lookups through `catalog()` (declared variables first, then the OS environment).
    public static func lookup(_ catalog: @escaping @Sendable () -> EnvCatalog) -> EnvironmentLookup {
        EnvironmentLookup { name in catalog().placeholderValue(name) ?? OSEnvStorage.get(name) }
    }

    /// Placeholder lookups through the committed catalog.
    public var lookup: EnvironmentLookup { EnvRegistry.lookup { [weak self] in self?.catalog ?? EnvCatalog() } }
}
