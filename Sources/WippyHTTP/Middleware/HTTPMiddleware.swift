public import Hummingbird
public import HummingbirdCore
public import HTTPTypes
import NIOCore

/// What runs after a middleware: the rest of the chain, then the route's handler.
public typealias HTTPNext = (Request, HTTPRequestContext) async throws -> Response

/// One wrapper around a route's handler (lua-api-io §1.5): sees the request first and the response last
/// of everything inside it. Built per router from its `middleware` / `post_middleware` lists and options,
/// kept with the router's routes, rebuilt when the registry changes them.
///
/// A middleware may answer itself (not calling `next`), change the request or context it passes on, or
/// change the response `next` returns. It returns a response for every request: a failure is a response
/// (500 and text), never a thrown error.
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response
}

/// The stage a middleware runs in: `pre` wraps the matched route before route information is known (the
/// router's `middleware` list), `post` after it, directly around the handler (`post_middleware`).
public enum HTTPMiddlewareStage: String, Sendable {
    case pre
    case post
}

/// A list of middlewares, first = outermost.
public struct HTTPMiddlewareChain: Sendable {
    public let middlewares: [any HTTPMiddleware]

    public static let empty = HTTPMiddlewareChain([])

    public init(_ middlewares: [any HTTPMiddleware]) { self.middlewares = middlewares }

    public var isEmpty: Bool { middlewares.isEmpty }

    /// Runs the chain around `terminal`.
    public func run(_ request: Request, _ context: HTTPRequestContext, terminal: HTTPNext) async throws -> Response {
        try await run(from: 0, request, context, terminal: terminal)
    }

    private func run(from index: Int, _ request: Request, _ context: HTTPRequestContext, terminal: HTTPNext) async throws -> Response {
        guard index < middlewares.count else { return try await terminal(request, context) }
        return try await middlewares[index].handle(request, context: context) { request, context in
            try await run(from: index + 1, request, context, terminal: terminal)
        }
    }
}

/// What the route-info step puts in the context between the pre- and post-match chains.
public struct HTTPRouteInfo: Sendable {
    /// The route as Go writes a pattern (`GET /users/{id}`; a static mount has no method).
    public let pattern: String
    /// The entry that declared the route (an `http.endpoint` or `http.static` ID).
    public let entry: String
    /// The endpoint's router (`""` for a static mount).
    public let router: String
    /// The endpoint's function (`""` for a static mount).
    public let function: String
    /// Route captures in pattern order.
    public let parameters: [(String, String)]

    public init(pattern: String, entry: String, router: String, function: String, parameters: [(String, String)]) {
        self.pattern = pattern
        self.entry = entry
        self.router = router
        self.function = function
        self.parameters = parameters
    }
}

/// The security identity a middleware (`token_auth`) put on a request: the actor and the policy IDs of its
/// scope, read by the firewalls and handed to the handler.
public struct HTTPSecurityIdentity: Sendable, Equatable {
    public var actorID: String
    public var actorMeta: [String: String]
    public var policies: [String]

    public init(actorID: String, actorMeta: [String: String] = [:], policies: [String] = []) {
        self.actorID = actorID
        self.actorMeta = actorMeta
        self.policies = policies
    }
}

extension Response {
    /// A plain-text response the way Go's `http.Error` writes one.
    public static func plainText(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    /// A JSON response from already encoded text.
    public static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
