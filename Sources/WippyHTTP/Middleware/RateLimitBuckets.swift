import WippyCore

/// The token buckets of `ratelimit`, one per key: a value with no clock of its own (the caller passes the
/// time), so tests drive it with made-up times.
///
/// A bucket holds at most `burst` tokens, starts full and refills at `requests` per `window`; a request
/// takes a token or is refused. Buckets not seen for `entryTTL` are dropped on a sweep every
/// `cleanupInterval`; at `maxEntries` keys the idle ones and then the least recently seen tenth make room.
public struct RateLimitBuckets: Sendable {
    public struct Limits: Sendable, Equatable {
        public var requests: Int
        public var window: Duration
        public var burst: Int
        public var cleanupInterval: Duration
        public var entryTTL: Duration
        public var maxEntries: Int

        public init(
            requests: Int = 100, window: Duration = .seconds(60), burst: Int = 20, cleanupInterval: Duration = .seconds(300),
            entryTTL: Duration = .seconds(600), maxEntries: Int = 100_000
        ) {
            self.requests = requests
            self.window = window
            self.burst = burst
            self.cleanupInterval = cleanupInterval
            self.entryTTL = entryTTL
            self.maxEntries = maxEntries
        }
    }

    struct Bucket: Sendable {
        var tokens: Double
        var updated: Double
    }

    public let limits: Limits
    /// Tokens per second.
    let rate: Double
    let capacity: Double
    private(set) var buckets: [String: Bucket] = [:]
    private var lastSweep: Double?

    public init(_ limits: Limits) {
        self.limits = limits
        rate = Double(limits.requests) / limits.window.seconds
        capacity = Double(max(limits.burst, 1))
    }

    public var count: Int { buckets.count }

    /// Takes a token for `key` at `now` (seconds on any monotonic clock): `true` when the request may go.
    public mutating func take(_ key: String, now: Double) -> Bool {
        sweep(now: now)
        var bucket: Bucket
        if let existing = buckets[key] {
            bucket = existing
            bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.updated) * rate)
        } else {
            if buckets.count >= max(limits.maxEntries, 1) { makeRoom(now: now) }
            bucket = Bucket(tokens: capacity, updated: now)
        }
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[key] = bucket
        return allowed
    }

    /// At `maxEntries`: drops idle buckets, then (still full) the least recently seen tenth, so a flood of
    /// new keys costs one sort per tenth of the table rather than a scan per request.
    private mutating func makeRoom(now: Double) {
        let ttl = limits.entryTTL.seconds
        buckets = buckets.filter { now - $0.value.updated < ttl }
        let limit = max(limits.maxEntries, 1)
        guard buckets.count >= limit else { return }
        let drop = max(1, limit / 10)
        for (key, _) in buckets.sorted(by: { $0.value.updated < $1.value.updated }).prefix(drop) { buckets.removeValue(forKey: key) }
    }

    private mutating func sweep(now: Double) {
        guard let last = lastSweep else {
            lastSweep = now
            return
        }
        guard now - last >= limits.cleanupInterval.seconds else { return }
        lastSweep = now
        let ttl = limits.entryTTL.seconds
        buckets = buckets.filter { now - $0.value.updated < ttl }
    }
}

