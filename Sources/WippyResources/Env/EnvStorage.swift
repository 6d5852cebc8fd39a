public import WippyCore
import Synchronization

/// Where `env.variable` entries keep their values (`env.storage.memory|file|os|static`): a flat map of
/// names to strings. A storage that cannot be written refuses `set` with `PermissionDenied`.
///
/// Reads answer from memory (the file storage loads its file when it opens), so they never wait; a write
/// to a file storage rewrites the file and is called off the Lua workers.
public protocol EnvStorage: AnyObject, Sendable {
    /// The stored value of `key`, nil when it has none.
    func value(_ key: String) throws(WippyError) -> String?
    /// Stores `value` under `key`.
    func set(_ key: String, _ value: String) throws(WippyError)
    /// Everything the storage holds.
    func all() throws(WippyError) -> [String: String]
    /// True when ``set(_:_:)`` always refuses.
    var isReadOnly: Bool { get }
}

/// A storage in an ``EnvCatalog``: one that holds values, or a router over other storages (by entry ID,
/// looked up at each call so a replaced storage is seen at once).
public enum EnvStorageSlot: Sendable {
    case values(any EnvStorage)
    /// `env.storage.router`: reads try each storage in order; writes go to the first.
    case router([EntryID])
}

/// `env.storage.memory`: volatile and writable.
public final class MemoryEnvStorage: EnvStorage {
    private let values = Mutex<[String: String]>([:])

    public init(_ initial: [String: String] = [:]) { values.withLock { $0 = initial } }

    public func value(_ key: String) -> String? { values.withLock { $0[key] } }
    public func set(_ key: String, _ value: String) { values.withLock { $0[key] = value } }
    public func all() -> [String: String] { values.withLock { $0 } }
    public var isReadOnly: Bool { false }
}

/// `env.storage.static`: the `values` of the entry, read-only.
public final class StaticEnvStorage: EnvStorage {
    public let values: [String: String]
    let id: EntryID

    public init(id: EntryID, values: [String: String]) {
        self.id = id
        self.values = values
    }

    public func value(_ key: String) -> String? { values[key] }
    public func set(_ key: String, _ value: String) throws(WippyError) {
        throw WippyError("env storage \(id) (env.storage.static) is read-only", kind: .permissionDenied, retryable: false)
    }
    public func all() -> [String: String] { values }
    public var isReadOnly: Bool { true }
}
