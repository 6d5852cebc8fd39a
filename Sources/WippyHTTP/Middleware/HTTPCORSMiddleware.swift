public import Hummingbird
public import HummingbirdCore
import HTTPTypes
public import WippyCore

/// `cors` (lua-api-io §1.5): answers preflight requests itself (an `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) and adds `Access-Control-Allow-Origin` (and friends) to the responses of
/// allowed origins. A request from an origin not allowed gets no CORS headers (its preflight is answered
/// 204 without them, so the browser refuses it).
public struct HTTPCORSMiddleware: HTTPMiddleware {
    public struct Configuration: Sendable, Equatable {
        /// `*` (any), exact origins, or `https://*.example.com` wildcards.
        public var allowOrigins = ["*"]
        public var allowMethods = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
        public var allowHeaders = ["Origin", "Content-Type", "Accept", "Authorization", "X-Requested-With"]
        public var exposeHeaders: [String] = []
        public var allowCredentials = false
        /// Seconds (`Access-Control-Max-Age`); 0 leaves the header out.
        public var maxAge = 86400
        public var allowPrivateNetwork = false

        public init() {}

        public init(options: HTTPMiddlewareOptions) throws(WippyError) {
            allowOrigins = options.list("cors.allow.origins", "allow_origins", default: allowOrigins)
            allowMethods = options.list("cors.allow.methods", "allow_methods", default: allowMethods)
            allowHeaders = options.list("cors.allow.headers", "allow_headers", default: allowHeaders)
            exposeHeaders = options.list("cors.expose.headers", "expose_headers", default: [])
            allowCredentials = try options.bool("cors.allow.credentials", "allow_credentials", default: false)
            maxAge = try options.int("cors.max.age", "max_age", default: maxAge)
            allowPrivateNetwork = try options.bool("cors.allow.private.network", "allow_private_network", default: false)
        }
    }

    public let configuration: Configuration

    public init(_ configuration: Configuration) { self.configuration = configuration }

    static let requestMethod = HTTPField.Name("Access-Control-Request-Method")!
    static let requestPrivateNetwork = HTTPField.Name("Access-Control-Request-Private-Network")!
    static let allowPrivateNetwork = HTTPField.Name("Access-Control-Allow-Private-Network")!

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = allows(origin)
        if request.method == .options, request.headers[Self.requestMethod] != nil {
            var headers = HTTPFields()
            headers[values: .vary] = ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]
            if allowed {
                decorate(&headers, origin: origin)
                headers[.accessControlAllowMethods] = configuration.allowMethods.joined(separator: ", ")
                if !configuration.allowHeaders.isEmpty {
                    headers[.accessControlAllowHeaders] = configuration.allowHeaders.joined(separator: ", ")
                }
                if configuration.maxAge > 0 { headers[.accessControlMaxAge] = String(configuration.maxAge) }
                if configuration.allowPrivateNetwork, request.headers[Self.requestPrivateNetwork]?.lowercased() == "true" {
                    headers[Self.allowPrivateNetwork] = "true"
                }
            }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        guard allowed else { return response }
        decorate(&response.headers, origin: origin)
        if !configuration.exposeHeaders.isEmpty {
            response.headers[.accessControlExposeHeaders] = configuration.exposeHeaders.joined(separator: ", ")
        }
        if !response.headers[values: .vary].contains(where: { $0.lowercased() == "origin" }) {
            response.headers.append(HTTPField(name: .vary, value: "Origin"))
        }
        return response
    }

    private func decorate(_ headers: inout HTTPFields, origin: String) {
        let any = configuration.allowOrigins.contains("*")
        headers[.accessControlAllowOrigin] = any && !configuration.allowCredentials ? "*" : origin
        if configuration.allowCredentials { headers[.accessControlAllowCredentials] = "true" }
    }

    /// Whether `origin` is allowed: `*`, an exact match (case-insensitive), or a `*` wildcard standing for
    /// one or more characters (`https://*.example.com` allows `https://a.b.example.com`, not
    /// `https://example.com`).
    public func allows(_ origin: String) -> Bool {
        let origin = origin.lowercased()
        for pattern in configuration.allowOrigins {
            let pattern = pattern.lowercased()
            if pattern == "*" || pattern == origin { return true }
            guard let star = pattern.firstIndex(of: "*") else { continue }
            let prefix = pattern[..<star]
            let suffix = pattern[pattern.index(after: star)...]
            if origin.count > prefix.count + suffix.count, origin.hasPrefix(prefix), origin.hasSuffix(suffix) { return true }
        }
        return false
    }
}
