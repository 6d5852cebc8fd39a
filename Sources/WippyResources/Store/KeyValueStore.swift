public import WippyCore

/// One stored key with its value and version (`s:entry(key)`, list items).
public struct StoreEntry: Sendable, Equatable {
    /// The key as stored: parsed as a registry ID, so a key without `:` reads `":key"`.
    public var key: String
    public var value: Payload
    /// The store-wide write counter when the key was last written; 0 for backends without versions.
    public var version: UInt64

    public init(key: String, value: Payload, version: UInt64) {
        self.key = key
        self.value = value
        self.version = version
    }
}

/// One page of `s:list`: entries in key order after the cursor.
public struct StorePage: Sendable, Equatable {
    public var items: [StoreEntry]
    /// The key to pass as `after` for the next page ("" when the page is empty).
    public var cursor: String
    public var hasMore: Bool

    public init(items: [StoreEntry], cursor: String, hasMore: Bool) {
        self.items = items
        self.cursor = cursor
        self.hasMore = hasMore
    }
}

/// The options of a conditional `put`.
public struct StorePutOptions: Sendable, Equatable {
    /// Seconds to live (fractions allowed); nil or ≤ 0 for no expiry.
    public var ttl: Double?
    /// Fail with `AlreadyExists` when the key holds a live value.
    public var onlyIfAbsent: Bool
    /// Fail with `Conflict` unless the key's version is this one (`NotFound` when the key is absent).
    public var ifVersion: UInt64?

    public init(ttl: Double? = nil, onlyIfAbsent: Bool = false, ifVersion: UInt64? = nil) {
        self.ttl = ttl
        self.onlyIfAbsent = onlyIfAbsent
        self.ifVersion = ifVersion
    }
}

/// What a store can do (`s:info()`).
public struct StoreCapabilities: Sendable, Equatable {
    public var backend: String
    public var consistency: String
    public var durable: Bool
    public var list: Bool
    public var versioned: Bool
    public var conditionalPut: Bool
    public var ttl: Bool

    public init(backend: String, consistency: String, durable: Bool, list: Bool, versioned: Bool, conditionalPut: Bool, ttl: Bool) {
        self.backend = backend
        self.consistency = consistency
        self.durable = durable
        self.list = list
        self.versioned = versioned
        self.conditionalPut = conditionalPut
        self.ttl = ttl
    }
}

/// A key-value store resource (`store.memory`, `store.sql`): values are plain data (``Payload``), keys
/// non-empty strings, expiry logical (an expired key is invisible at once, removed by a later sweep).
///
/// Thread-safe. Methods of a store whose ``waits`` is true may wait (disk, network): call them off the
/// workers (the Lua module hands them to the blocking pool); the memory store's are in-process CPU work.
public protocol KeyValueStore: Resource {
    var capabilities: StoreCapabilities { get }
    /// True when operations may wait on I/O.
    var waits: Bool { get }

    /// The value of `key`; `NotFound` when absent or expired.
    func get(_ key: String) throws(WippyError) -> Payload
    /// Writes `value` under `key`, replacing any earlier expiry (`ttl` nil or ≤ 0: none).
    func set(_ key: String, _ value: Payload, ttl: Double?) throws(WippyError)
    /// Removes `key`; false when it held no live value.
    func delete(_ key: String) throws(WippyError) -> Bool
    func has(_ key: String) throws(WippyError) -> Bool
    /// The live entry of `key`; `NotFound` when absent or expired.
    func entry(_ key: String) throws(WippyError) -> StoreEntry
    /// A conditional write; `Invalid` where the backend has no conditional put.
    func put(_ key: String, _ value: Payload, options: StorePutOptions) throws(WippyError) -> StoreEntry
    /// Live entries in key order, with keys starting with `prefix` (after normalisation) and greater than
    /// `after`, at most `limit` (0: no limit).
    func list(prefix: String, after: String, limit: Int) throws(WippyError) -> StorePage
}

/// Store keys are registry IDs: `"ns:name"` stays as it is, a key without `:` becomes `":key"`.
public enum StoreKey {
    public static func normalize(_ key: String) -> String {
        key.utf8.contains(UInt8(ascii: ":")) ? key : ":" + key
    }

    /// Whether the normalised `key` matches a list `prefix` as given (raw or normalised).
    public static func matches(_ key: String, prefix: String) -> Bool {
        prefix.isEmpty || key.hasPrefix(prefix) || key.hasPrefix(normalize(prefix))
    }
}
