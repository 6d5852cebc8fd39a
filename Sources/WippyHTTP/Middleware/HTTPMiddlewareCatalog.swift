public import Hummingbird
public import HummingbirdCore
public import WippyCore
public import WippyResources

/// What building a router's middleware needs from the runtime.
public struct HTTPMiddlewareServices: Sendable {
    /// A middleware built elsewhere (the relays), from its list's options.
    public typealias Factory = @Sendable (HTTPMiddlewareOptions) throws(WippyError) -> any HTTPMiddleware

    /// The runtime's metrics collector (`nil` when metrics are off: `metrics` is then left out).
    public var metrics: MetricsCollector?
    /// The real root of an `fs.directory` named as the option says (an entry ID, relative to the router's
    /// namespace), or `nil` when there is no such directory (yet).
    public var directory: @Sendable (String) -> (@Sendable () -> String?)?
    /// Middlewares implemented outside this module, by name (`websocket_relay`, `sse_relay`).
    public var external: [String: Factory]
    /// Token stores and policies for `token_auth` and the firewalls (`nil`: none declared).
    public var security: (any HTTPSecurityProvider)?

    public init(
        metrics: MetricsCollector? = nil, directory: @escaping @Sendable (String) -> (@Sendable () -> String?)? = { _ in nil },
        external: [String: Factory] = [:], security: (any HTTPSecurityProvider)? = nil
    ) {
        self.security = security
        self.metrics = metrics
        self.directory = directory
        self.external = external
    }
}

/// The middleware names of lua-api-io §1.5 and how each is built from its list's options.
public enum HTTPMiddlewareCatalog {
    /// Every known name; any other is a config error for the router that lists it.
    public static let names: Set<String> = [
        "cors", "ratelimit", "compress", "real_ip", "token_auth", "metrics", "otel", "endpoint_firewall", "resource_firewall",
        "sendfile", "websocket_relay", "sse_relay",
    ]

    /// Builds one list (first = outermost). Names must be known (checked when entries are decoded).
    public static func chain(_ names: [String], options: [String: String], services: HTTPMiddlewareServices) throws(WippyError) -> HTTPMiddlewareChain {
        let options = HTTPMiddlewareOptions(options)
        var middlewares: [any HTTPMiddleware] = []
        for name in names {
            if let middleware = try make(name, options: options, services: services) { middlewares.append(middleware) }
        }
        return HTTPMiddlewareChain(middlewares)
    }

    /// One middleware, or `nil` for one that does nothing here (`otel`, `metrics` without a collector, a
    /// middleware built elsewhere that is not plugged in).
    static func make(_ name: String, options: HTTPMiddlewareOptions, services: HTTPMiddlewareServices) throws(WippyError) -> (any HTTPMiddleware)? {
        if let factory = services.external[name] { return try factory(options) }
        switch name {
        case "cors": return HTTPCORSMiddleware(try .init(options: options))
        case "ratelimit": return try HTTPRateLimitMiddleware(options: options)
        case "compress": return try HTTPCompressMiddleware(options: options)
        case "real_ip": return try HTTPRealIPMiddleware(options: options)
        case "metrics": return services.metrics.map { HTTPMetricsMiddleware(collector: $0) }
        case "sendfile":
            let name = options.string("sendfile.fs", "fs") ?? ""
            let root = name.isEmpty ? nil : services.directory(name)
            return HTTPSendfileMiddleware(files: root.map { HTTPStaticFiles(.init(mount: ""), root: $0) }, directory: name)
        case "token_auth": return try HTTPTokenAuthMiddleware(options: options, provider: services.security)
        case "endpoint_firewall": return HTTPFirewallMiddleware(endpointOptions: options, provider: services.security)
        case "resource_firewall": return try HTTPFirewallMiddleware(resourceOptions: options, provider: services.security)
        case "otel": return nil
        default:
            guard names.contains(name) else { throw WippyError.invalid("unknown middleware '\(name)'") }
            return nil
        }
    }
}
