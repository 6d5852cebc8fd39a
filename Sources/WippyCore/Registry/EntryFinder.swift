import Synchronization

/// Runs ``EntryFilter`` queries over registry snapshots, remembering results so that repeated finds on an
/// unchanged registry cost a lookup.
///
/// Results are cached for the newest live state only (keyed by ``RegistrySnapshot/generation``): the first
/// find on a newer state drops everything cached for older ones, and finds on older or never-live snapshots
/// (``Registry/snapshot(at:)``) are computed without the cache. Besides the number of queries (Wippy's
/// `finder.query_cache_size`, 1000) the cache bounds the total number of entries it holds, so a thousand
/// queries that each match the whole registry cannot pin gigabytes. Compiled regexes have their own cache
/// (`finder.regex_cache_size`, 100).
///
/// Thread-safe; the query runs outside the lock, so concurrent finds do not wait on each other.
public final class EntryFinder: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var results: LRUCache<String, [Entry]>
        var hits = 0
        var misses = 0
    }

    private let state: Mutex<State>
    private let regexes: Mutex<LRUCache<String, CompiledPattern>>
    private let warned = Mutex<Set<String>>([])

    public init(queryCacheSize: Int = 1000, regexCacheSize: Int = 100, maximumCachedEntries: Int = 1_000_000) {
        state = Mutex(State(results: LRUCache(capacity: queryCacheSize, maximumWeight: maximumCachedEntries)))
        regexes = Mutex(LRUCache(capacity: regexCacheSize))
    }

    /// Parses a query, reusing compiled regexes. See ``EntryFilter/init(_:)``.
    public func filter(_ pairs: [(key: String, value: Payload)]) throws(WippyError) -> EntryFilter {
        try EntryFilter(pairs) { pattern throws(WippyError) in try regex(pattern) }
    }

    /// Parses a map payload as a query (nil is the empty query).
    public func filter(query: Payload) throws(WippyError) -> EntryFilter {
        try filter(EntryFilter.pairs(of: query))
    }

    /// The entries of `snapshot` that match `filter`, sorted by ID.
    public func find(_ filter: EntryFilter, in snapshot: RegistrySnapshot) -> [Entry] {
        let generation = snapshot.generation
        let cached = state.withLock { state -> [Entry]? in
            guard generation != 0, generation >= state.generation else { return nil }
            if generation > state.generation {
                state.generation = generation
                state.results.removeAll()
            }
            if let result = state.results.value(for: filter.cacheKey) {
                state.hits += 1
                return result
            }
            state.misses += 1
            return nil
        }
        if let cached { return cached }
        let result = filter.select(from: snapshot)
        if generation != 0 {
            state.withLock { state in
                if state.generation == generation {
                    state.results.insert(result, for: filter.cacheKey, weight: max(1, result.count))
                }
            }
        }
        return result
    }

    /// Cache hits and misses so far (for tests and statistics).
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    /// The keys of `keys` not reported before: callers warn about ignored query keys once each.
    public func firstSightings(of keys: [String]) -> [String] {
        guard !keys.isEmpty else { return [] }
        return warned.withLock { seen in keys.filter { seen.insert($0).inserted } }
    }

    private func regex(_ pattern: String) throws(WippyError) -> CompiledPattern {
        if let known = regexes.withLock({ $0.value(for: pattern) }) { return known }
        let compiled = try EntryFilter.compile(pattern)
        regexes.withLock { $0.insert(compiled, for: pattern) }
        return compiled
    }
}
