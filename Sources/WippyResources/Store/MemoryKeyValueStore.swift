import Dispatch
public import WippyCore
import Synchronization

/// The `store.memory` backend: keys in a dictionary, a store-wide version counter, TTLs on a clock you can
/// inject (``now`` returns nanoseconds; tests pass a manual one), and a sweep that removes expired keys
/// physically every `cleanupInterval` (expired keys are invisible before that already).
///
/// `maxSize` counts live keys: a new key beyond it fails with `Unavailable` ("store is full"); updates of
/// existing keys still succeed. Thread-safe; every operation is a short critical section.
public final class MemoryKeyValueStore: KeyValueStore {
    public static let kindName = "store.memory"
    public static let defaultMaxSize = 10_000

    struct Item {
        var value: Payload
        var version: UInt64
        /// Clock nanoseconds after which the item is gone; nil for never.
        var expiresAt: UInt64?
    }

    struct State {
        var items: [String: Item] = [:]
        var version: UInt64 = 0
        var closed = false
    }

    public let kind = MemoryKeyValueStore.kindName
    public let maxSize: Int
    public let waits = false
    public let capabilities = StoreCapabilities(
        backend: "memory", consistency: "local", durable: false, list: true, versioned: true, conditionalPut: true, ttl: true)
    private let now: @Sendable () -> UInt64
    private let state = Mutex(State())
    private let sweeper = Mutex<PeriodicTimer?>(nil)

    /// - Parameters:
    ///   - maxSize: the most live keys (≤ 0: ``defaultMaxSize``).
    ///   - cleanupInterval: how often expired keys are removed; nil or zero for no sweeper thread.
    ///   - now: the clock, in nanoseconds (monotonic).
    public init(
        maxSize: Int = MemoryKeyValueStore.defaultMaxSize, cleanupInterval: Duration? = nil,
        now: (@Sendable () -> UInt64)? = nil
    ) {
        self.maxSize = maxSize > 0 ? maxSize : Self.defaultMaxSize
        self.now = now ?? { DispatchTime.now().uptimeNanoseconds }
        if let interval = cleanupInterval, interval > .zero {
            let timer = PeriodicTimer(every: interval) { [weak self] in _ = self?.sweep() }
            sweeper.withLock { $0 = timer }
        }
    }

    public func close() {
        sweeper.withLock { timer in
            timer?.cancel()
            timer = nil
        }
        state.withLock { state in
            state.closed = true
            state.items = [:]
        }
    }

    /// Removes every expired key; returns how many.
    @discardableResult
    public func sweep() -> Int {
        let at = now()
        return state.withLock { state in
            let before = state.items.count
            state.items = state.items.filter { !Self.expired($0.value, at: at) }
            return before - state.items.count
        }
    }

    /// Keys held, expired ones included until swept (for tests).
    public var storedCount: Int { state.withLock { $0.items.count } }

    static func expired(_ item: Item, at now: UInt64) -> Bool {
        if let expiresAt = item.expiresAt { return expiresAt <= now }
        return false
    }

    private func deadline(ttl: Double?, at now: UInt64) -> UInt64? {
        guard let ttl, ttl > 0 else { return nil }
        let nanos = ttl * 1e9
        return nanos >= Double(UInt64.max - now) ? nil : now + UInt64(nanos)
    }

    private func live(_ state: State, _ key: String, at now: UInt64) -> Item? {
        guard let item = state.items[key], !Self.expired(item, at: now) else { return nil }
        return item
    }

    private func checkOpen(_ state: State) throws(WippyError) {
        if state.closed { throw WippyError.unavailable("store is closed") }
    }

    /// Writes `value`; a new key in a full store fails (expired keys are purged first to make room).
    private func write(_ state: inout State, _ key: String, _ value: Payload, ttl: Double?, at now: UInt64) throws(WippyError) -> StoreEntry {
        if live(state, key, at: now) == nil {
            state.items[key] = nil
            if state.items.count >= maxSize {
                state.items = state.items.filter { !Self.expired($0.value, at: now) }
                if state.items.count >= maxSize {
                    throw WippyError.unavailable("store is full (max_size \(maxSize))")
                }
            }
        }
        state.version += 1
        state.items[key] = Item(value: value, version: state.version, expiresAt: deadline(ttl: ttl, at: now))
        return StoreEntry(key: key, value: value, version: state.version)
    }

    public func get(_ key: String) throws(WippyError) -> Payload {
        try entry(key).value
    }

    public func set(_ key: String, _ value: Payload, ttl: Double?) throws(WippyError) {
        let key = StoreKey.normalize(key)
        let at = now()
        try state.withLock { state throws(WippyError) in
            try checkOpen(state)
            _ = try write(&state, key, value, ttl: ttl, at: at)
        }
    }

    public func delete(_ key: String) throws(WippyError) -> Bool {
        let key = StoreKey.normalize(key)
        let at = now()
        return try state.withLock { state throws(WippyError) -> Bool in
            try checkOpen(state)
            let wasLive = live(state, key, at: at) != nil
            state.items[key] = nil
            return wasLive
        }
    }

    public func has(_ key: String) throws(WippyError) -> Bool {
        let key = StoreKey.normalize(key)
        let at = now()
        return try state.withLock { state throws(WippyError) -> Bool in
            try checkOpen(state)
            return live(state, key, at: at) != nil
        }
    }

    public func entry(_ key: String) throws(WippyError) -> StoreEntry {
        let key = StoreKey.normalize(key)
        let at = now()
        return try state.withLock { state throws(WippyError) -> StoreEntry in
            try checkOpen(state)
            guard let item = live(state, key, at: at) else { throw WippyError.notFound("key not found: \(key)") }
            return StoreEntry(key: key, value: item.value, version: item.version)
        }
    }

    public func put(_ key: String, _ value: Payload, options: StorePutOptions) throws(WippyError) -> StoreEntry {
        let key = StoreKey.normalize(key)
        let at = now()
        return try state.withLock { state throws(WippyError) -> StoreEntry in
            try checkOpen(state)
            let current = live(state, key, at: at)
            if options.onlyIfAbsent, current != nil { throw WippyError.alreadyExists("key already exists: \(key)") }
            if let expected = options.ifVersion {
                guard let current else { throw WippyError.notFound("key not found: \(key)") }
                guard current.version == expected else {
                    throw WippyError(
                        "version mismatch for \(key): expected \(expected), found \(current.version)", kind: .conflict, retryable: true)
                }
            }
            return try write(&state, key, value, ttl: options.ttl, at: at)
        }
    }

    public func list(prefix: String, after: String, limit: Int) throws(WippyError) -> StorePage {
        let at = now()
        let matching = try state.withLock { state throws(WippyError) -> [StoreEntry] in
            try checkOpen(state)
            var found: [StoreEntry] = []
            for (key, item) in state.items where key > after && StoreKey.matches(key, prefix: prefix) && !Self.expired(item, at: at) {
                found.append(StoreEntry(key: key, value: item.value, version: item.version))
            }
            return found
        }
        var sorted = matching.sorted { $0.key < $1.key }
        var hasMore = false
        if limit > 0, sorted.count > limit {
            sorted.removeLast(sorted.count - limit)
            hasMore = true
        }
        return StorePage(items: sorted, cursor: sorted.last?.key ?? "", hasMore: hasMore)
    }
}
