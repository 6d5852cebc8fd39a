public import Hummingbird
public import HummingbirdCore
import HTTPTypes
import Synchronization
public import WippyCore
import WippyCodecs

/// `ratelimit` (lua-api-io §1.5): a token bucket per key (the client IP, a header or a query parameter);
/// a request over the limit gets 429 with `X-RateLimit-Limit` and `X-RateLimit-Window`.
public final class HTTPRateLimitMiddleware: HTTPMiddleware {
    public enum Key: Sendable, Equatable {
        case ip
        case header(String)
        case query(String)

        init(_ text: String) throws(WippyError) {
            if text == "ip" {
                self = .ip
            } else if text.hasPrefix("header:"), text.count > 7 {
                self = .header(String(text.dropFirst(7)))
            } else if text.hasPrefix("query:"), text.count > 6 {
                self = .query(String(text.dropFirst(6)))
            } else {
                throw WippyError.invalid("option 'ratelimit.key' must be ip, header:NAME or query:NAME (got \"\(text)\")")
            }
        }
    }

    public let key: Key
    private let buckets: Mutex<RateLimitBuckets>
    private let clock: @Sendable () -> Double
    private let windowText: String

    public init(limits: RateLimitBuckets.Limits, key: Key, clock: @escaping @Sendable () -> Double = HTTPRateLimitMiddleware.monotonicSeconds) {
        self.key = key
        buckets = Mutex(RateLimitBuckets(limits))
        self.clock = clock
        windowText = GoDuration(nanoseconds: limits.window.nanosecondsClamped).description
    }

    public convenience init(options: HTTPMiddlewareOptions) throws(WippyError) {
        let limits = RateLimitBuckets.Limits(
            requests: try options.int("ratelimit.requests", default: 100), window: try options.duration("ratelimit.window", default: .seconds(60)),
            burst: try options.int("ratelimit.burst", default: 20),
            cleanupInterval: try options.duration("ratelimit.cleanup_interval", "ratelimit.cleanup.interval", default: .seconds(300)),
            entryTTL: try options.duration("ratelimit.entry_ttl", "ratelimit.entry.ttl", default: .seconds(600)),
            maxEntries: try options.int("ratelimit.max_entries", "ratelimit.max.entries", default: 100_000))
        try self.init(limits: limits, key: Key(options.string("ratelimit.key") ?? "ip"))
    }

    public static let monotonicSeconds: @Sendable () -> Double = { (ContinuousClock.now - ContinuousClock.Instant.zeroReference).seconds }

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        let name: String
        switch key {
        case .ip: name = Self.host(context.remoteAddress)
        case .header(let header): name = HTTPField.Name(header).flatMap { request.headers[$0] } ?? ""
        case .query(let parameter): name = Self.query(request.uri.query ?? "", parameter)
        }
        let now = clock()
        guard buckets.withLock({ $0.take(name, now: now) }) else {
            var response = Response.plainText(.tooManyRequests, "Too Many Requests")
            response.headers[HTTPField.Name("X-RateLimit-Limit")!] = String(buckets.withLock { $0.limits.requests })
            response.headers[HTTPField.Name("X-RateLimit-Window")!] = windowText
            return response
        }
        return try await next(request, context)
    }

    /// The first value of `name` in a raw query string (`""` when absent).
    static func query(_ query: String, _ name: String) -> String {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if RoutePattern.unescape(parts[0].replacingPlus) == name {
                return parts.count > 1 ? RoutePattern.unescape(parts[1].replacingPlus) : ""
            }
        }
        return ""
    }

    /// The IP of `ip:port` / `[ip]:port` (a bare IP as it is).
    static func host(_ address: String) -> String {
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") { return String(address[address.index(after: address.startIndex)..<end]) }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") { return String(address[..<colon]) }
        return address
    }
}

extension ContinuousClock.Instant {
    /// A fixed instant to measure monotonic seconds from.
    static let zeroReference = ContinuousClock.now
}
