public import Hummingbird
public import HummingbirdCore
import HTTPTypes
import NIOCore
public import WippyCore

/// What the security middlewares ask the runtime (lua-api-io §6.4-6.5): a token store's validation and a
/// scope's evaluation. Implemented where the `security.*` entries live.
public protocol HTTPSecurityProvider: Sendable {
    /// Whether `store` names a token store (checked when a router's chain is built).
    func hasTokenStore(_ store: String) -> Bool
    /// The actor and scope a token stands for, or `nil` (unknown, expired, bad signature, store down).
    func validate(token: String, store: String) async -> HTTPSecurityIdentity?
    /// The identity's scope evaluated for `action` on `resource`: any deny ⇒ deny, else any allow ⇒ allow.
    func evaluate(_ identity: HTTPSecurityIdentity, action: String, resource: String) -> HTTPAccessDecision
}

public enum HTTPAccessDecision: String, Sendable {
    case allow, deny, undefined
}

/// `token_auth` (lua-api-io §1.5): takes a token from the header (`Authorization`, after the `Bearer `
/// prefix), else the query parameter, else the cookie, and when the store validates it puts the actor and
/// scope on the request. It never rejects: the firewalls decide.
public struct HTTPTokenAuthMiddleware: HTTPMiddleware {
    public let store: String
    public let headerName: String
    public let headerPrefix: String
    public let queryParameter: String
    public let cookieName: String
    let provider: any HTTPSecurityProvider

    public init(options: HTTPMiddlewareOptions, provider: (any HTTPSecurityProvider)?) throws(WippyError) {
        guard let store = options.string("token_auth.store", "token_store"), !store.isEmpty else {
            throw WippyError.invalid("token_auth needs option 'token_auth.store' (a security.token_store entry)")
        }
        guard let provider else {
            throw WippyError.invalid("token_auth: option 'token_auth.store': \(store): no security.token_store entries are declared")
        }
        self.store = store
        self.provider = provider
        headerName = options.string("token_auth.header.name") ?? "Authorization"
        headerPrefix = options.string("token_auth.header.prefix") ?? "Bearer "
        queryParameter = options.string("token_auth.query.param") ?? "x-auth-token"
        cookieName = options.string("token_auth.cookie.name") ?? "x-auth-token"
    }

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        guard let token = token(in: request), let identity = await provider.validate(token: token, store: store) else {
            return try await next(request, context)
        }
        var context = context
        context.security = identity
        return try await next(request, context)
    }

    /// The token the request carries: header, then query, then cookie (the first non-empty one).
    func token(in request: Request) -> String? {
        if let name = HTTPField.Name(headerName), let value = request.headers[name] {
            let token = headerPrefix.isEmpty ? value : (value.hasPrefix(headerPrefix) ? String(value.dropFirst(headerPrefix.count)) : "")
            let trimmed = token.trimmingCharacters(in: " ")
            if !trimmed.isEmpty { return trimmed }
        }
        if !queryParameter.isEmpty {
            let value = HTTPRateLimitMiddleware.query(request.uri.query ?? "", queryParameter)
            if !value.isEmpty { return value }
        }
        if !cookieName.isEmpty {
            for header in request.headers[values: .cookie] {
                for pair in header.split(separator: ";") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    if parts.count == 2, String(parts[0]).trimmingCharacters(in: " ") == cookieName {
                        let value = String(parts[1]).trimmingCharacters(in: " ")
                        if !value.isEmpty { return value }
                    }
                }
            }
        }
        return nil
    }
}

/// `endpoint_firewall` and `resource_firewall` (lua-api-io §1.5): post-match checks of the request's actor
/// and scope. No actor ⇒ 401 JSON; a scope that does not allow (`action`, the endpoint entry ID or the
/// fixed target) ⇒ 403 JSON. Listed pre-match, route information is missing: 500 for every request.
public struct HTTPFirewallMiddleware: HTTPMiddleware {
    public enum Target: Sendable, Equatable {
        case endpoint
        case resource(String)
    }

    public let name: String
    public let action: String
    public let target: Target
    let provider: (any HTTPSecurityProvider)?

    public init(endpointOptions options: HTTPMiddlewareOptions, provider: (any HTTPSecurityProvider)?) {
        name = "endpoint_firewall"
        action = options.string("endpoint_firewall.action", "endpoint_action") ?? "access"
        target = .endpoint
        self.provider = provider
    }

    public init(resourceOptions options: HTTPMiddlewareOptions, provider: (any HTTPSecurityProvider)?) throws(WippyError) {
        guard let resource = options.string("resource_firewall.target"), !resource.isEmpty else {
            throw WippyError.invalid("resource_firewall needs option 'resource_firewall.target' (a registry ID)")
        }
        name = "resource_firewall"
        action = options.string("resource_firewall.action") ?? "access"
        target = .resource(resource)
        self.provider = provider
    }

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        guard let route = context.route else {
            return .json(.internalServerError, #"{"error":"\#(name) must be listed in post_middleware (no route information)"}"#)
        }
        guard let identity = context.security else { return .json(.unauthorized, #"{"error":"unauthorized"}"#) }
        let resource: String
        switch target {
        case .endpoint: resource = route.entry
        case .resource(let id): resource = id
        }
        guard provider?.evaluate(identity, action: action, resource: resource) == .allow else {
            return .json(.forbidden, #"{"error":"forbidden"}"#)
        }
        return try await next(request, context)
    }
}
