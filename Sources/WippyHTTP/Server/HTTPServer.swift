public import Hummingbird
public import HummingbirdCore
public import HTTPTypes
public import Logging
public import NIOCore
import ServiceLifecycle
import Synchronization
import WippyCore

/// What an endpoint route runs: the endpoint entry, its router and the function to call (entry IDs).
public struct HTTPEndpointTarget: Sendable, Hashable {
    public let endpoint: String
    public let router: String
    public let function: String
    /// The router's `websocket_relay` middleware, when it lists one.
    public let webSocketRelay: WebSocketRelayOptions?
    /// The router's `sse_relay` options when its `post_middleware` lists it (see ``SSERelay``).
    public let sseRelay: SSERelay.Options?

    public init(
        endpoint: String, router: String, function: String, webSocketRelay: WebSocketRelayOptions? = nil,
        sseRelay: SSERelay.Options? = nil
    ) {
        self.endpoint = endpoint
        self.router = router
        self.function = function
        self.webSocketRelay = webSocketRelay
        self.sseRelay = sseRelay
    }
}

/// What a route of a server runs, with the middleware chains of the router (or static mount) that
/// declared it: an endpoint function or a static file tree. A class: route matches and request frames copy one
/// reference, not the whole description (see ``HTTPServer/Responder/respond(to:context:)``).
public final class HTTPRoute: Sendable {
    public enum Handler: Sendable {
        case endpoint(HTTPEndpointTarget)
        case files(HTTPStaticFiles)
    }

    public let handler: Handler
    /// The declaring entry (endpoint or static mount) and its router (`""` for a static mount).
    public let entry: String
    public let router: String
    /// `middleware`: around the route and its automatic `OPTIONS` twin, before route information is known.
    public let pre: HTTPMiddlewareChain
    /// `post_middleware`: after route information is known, directly around the handler.
    public let post: HTTPMiddlewareChain

    public init(_ handler: Handler, entry: String, router: String = "", pre: HTTPMiddlewareChain = .empty, post: HTTPMiddlewareChain = .empty) {
        self.handler = handler
        self.entry = entry
        self.router = router
        self.pre = pre
        self.post = post
    }

    /// The endpoint's function (`""` for a static mount).
    public var function: String {
        if case .endpoint(let target) = handler { return target.function }
        return ""
    }

    public static func endpoint(_ target: HTTPEndpointTarget, pre: HTTPMiddlewareChain = .empty, post: HTTPMiddlewareChain = .empty) -> HTTPRoute {
        HTTPRoute(.endpoint(target), entry: target.endpoint, router: target.router, pre: pre, post: post)
    }
}

/// One `http.service`: a Hummingbird 2 HTTP/1.1 server whose route table can be swapped while it runs (the
/// next request sees the new table; requests in flight finish on the route they matched).
///
/// An endpoint request is handed to ``Handler`` with its ``HTTPExchange``: the handler starts the
/// endpoint's invocation and returns at once; the invocation ends with ``HTTPExchange/finish(_:)``. The
/// responder awaits the response (no thread held): the buffered one when the invocation ended, or a
/// streamed one as soon as the handler flushed (``HTTPExchange+Stream.swift``). No route: 404; a route under other methods: 405 with `Allow`; an automatic `OPTIONS`: 204.
public final class HTTPServer: Sendable {
    public typealias Table = RouteTable<HTTPRoute>
    /// Starts the endpoint for an exchange; must lead to ``HTTPExchange/finish(_:)`` exactly once.
    public typealias Handler = @Sendable (HTTPEndpointTarget, HTTPExchange) -> Void

    public struct Configuration: Sendable, Equatable {
        public var host: String
        public var port: Int
        /// Keep-alive idle timeout (`timeouts.idle`); `nil`: none.
        public var idleTimeout: Duration?
        /// Whole-request read deadline from the request's arrival (`timeouts.read`); `nil`: none.
        public var readTimeout: Duration?
        /// TLS manual mode; `nil`: plain HTTP.
        public var tls: HTTPServerTLS?

        public init(host: String, port: Int, idleTimeout: Duration? = nil, readTimeout: Duration? = nil, tls: HTTPServerTLS? = nil) {
            self.host = host
            self.port = port
            self.idleTimeout = idleTimeout
            self.readTimeout = readTimeout
            self.tls = tls
        }
    }

    public let name: String
    public let configuration: Configuration
    let handler: Handler
    let logger: Logger
    /// Where the route table comes from (shared with whoever rebuilds it).
    public let board: HTTPRouteBoard
    /// Relays WebSocket handshakes on routes with `websocket_relay`; `nil`: a plain HTTP/1.1 server.
    let webSocketRelay: WebSocketRelay?
    /// The responses streaming now (ended by ``stop()``).
    public let streams = HTTPStreamRegistry()
    private let group = Mutex<(group: ServiceGroup?, stopRequested: Bool)>((nil, false))

    public init(
        name: String, configuration: Configuration, board: HTTPRouteBoard, logger: Logger, webSocketRelay: WebSocketRelay? = nil,
        handler: @escaping Handler
    ) {
        self.name = name
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        self.board = board
        self.webSocketRelay = webSocketRelay
    }

    /// Serves until ``stop()``; `onRunning` gets the bound port once the socket listens.
    public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
        var http1 = HTTP1Channel.Configuration()
        if let idle = configuration.idleTimeout { http1.idleTimeout = TimeAmount(idle) }
        if let read = configuration.readTimeout {
            // Request heads are timed by a handler of their own (the exchange times bodies).
            let timeout = TimeAmount(read)
            let idle = configuration.idleTimeout != nil
            http1.additionalChannelHandlers = { [RequestHeadDeadline(timeout: timeout, idleTimeoutElsewhere: idle)] }
        }
        let application = Application(
            responder: Responder(server: self),
            server: try serverBuilder(http1),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        let services = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let stopped = group.withLock { state -> Bool in
            state.group = services
            return state.stopRequested
        }
        if stopped { return }
        try await services.run()
    }

    /// Graceful stop: stops accepting, lets requests in flight finish, closes idle connections. Streaming
    /// responses end at once (they have no end of their own).
    public func stop() async {
        let services = group.withLock { state -> ServiceGroup? in
            state.stopRequested = true
            return state.group
        }
        streams.endAll()
        await services?.triggerGracefulShutdown()
    }

    struct Responder: HTTPResponder {
        typealias Context = HTTPRequestContext
        let server: HTTPServer

        /// Kept small: a connection's task keeps the stack slabs of its deepest request for as long as it
        /// lives, so this frame (and so every idle keep-alive connection) holds only what the common path
        /// needs; the other paths run in frames of their own (``respond(_:_:table:match:)``, ``throughChains``,
        /// ``automaticOptions``).
        func respond(to request: Request, context: Context) async throws -> Response {
            let exchange: HTTPExchange
            switch firstLook(request, context) {
            case .plain(let plain): exchange = plain
            case .other(let other): return await respondOther(request, context, other)
            }
            // The response comes when the handler ends, or at its first flush (a stream).
            let response = await withCheckedContinuation { continuation in
                exchange.reply(to: continuation)
                server.handler(exchange.target!, exchange)
            }
            return Self.relayReply(exchange) ?? response
        }

        /// What the first look at a request found: the exchange of a request for an endpoint without
        /// middleware (the common case: no chain, no context copy), or the table and match of any other,
        /// handed on so the table is matched once.
        /// Both cases are one reference: the match itself (a route and its parameters) would be spilled
        /// into the async frame of ``respond(to:context:)`` (784 bytes instead of 512, measured; 688 when
        /// the box is unpacked there), which every
        /// idle keep-alive connection keeps; boxing it costs one small allocation on the other paths only,
        /// less than matching the table a second time.
        enum FirstLook {
            case plain(HTTPExchange)
            case other(OtherRequest)
        }

        final class OtherRequest: Sendable {
            let table: HTTPServer.Table
            let match: HTTPServer.Table.Match

            init(_ table: HTTPServer.Table, _ match: HTTPServer.Table.Match) {
                self.table = table
                self.match = match
            }
        }

        /// Takes the box whole: unpacking the match here would copy it into this caller's frame.
        @inline(never)
        private func respondOther(_ request: Request, _ context: Context, _ other: OtherRequest) async -> Response {
            await respond(request, context, table: other.table, match: other.match)
        }

        /// Synchronous, so its values stay out of the async frame.
        @inline(never)
        private func firstLook(_ request: Request, _ context: Context) -> FirstLook {
            let table = server.board.table
            let match = table.match(method: request.method.rawValue, path: request.uri.path)
            guard case .found(let route, let parameters) = match, case .target(let target) = route.action,
                target.pre.isEmpty && target.post.isEmpty, case .endpoint(let endpoint) = target.handler,
                endpoint.webSocketRelay == nil, match.isExact || request.uri.path.hasSuffix("/")
            else { return .other(OtherRequest(table, match)) }
            return .plain(exchange(endpoint, request, parameters: parameters, remoteAddress: context.remoteAddress, channel: context.channel))
        }

        @inline(never)
        private func respond(_ request: Request, _ context: Context, table: HTTPServer.Table, match: HTTPServer.Table.Match) async -> Response {
            let path = request.uri.path
            if !path.hasSuffix("/"), !match.isExact,
                let redirect = Self.subtreeRedirect(table, method: request.method.rawValue, path: path, query: request.uri.query)
            {
                return redirect
            }
            switch match {
            case .notFound:
                return Self.plain(.notFound, "404 page not found")
            case .methodNotAllowed(let allowed):
                var response = Self.plain(.methodNotAllowed, "Method Not Allowed")
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            case .found(let route, let parameters):
                switch route.action {
                case .automaticOptions(let twin):
                    if twin.pre.isEmpty { return Response(status: .noContent) }
                    return await automaticOptions(twin, route, request, context)
                case .target(let target):
                    if case .endpoint(let endpoint) = target.handler, endpoint.webSocketRelay != nil, HTTPServer.asksForWebSocket(request) {
                        return await relayHandshake(target, route, request, context, parameters: parameters)
                    }
                    return await serveTarget(target, route, request, context, parameters: parameters)
                }
            }
        }

        @inline(never)
        private func serveTarget(
            _ target: HTTPRoute, _ route: HTTPServer.Table.Route, _ request: Request, _ context: Context, parameters: [(String, String)]
        ) async -> Response {
            if target.pre.isEmpty && target.post.isEmpty, case .endpoint(let endpoint) = target.handler {
                return await serve(endpoint, request, parameters: parameters, remoteAddress: context.remoteAddress, channel: context.channel)
            }
            return await throughChains(target, route, request, context, parameters: parameters)
        }

        /// A WebSocket handshake that reached the responder: on an upgradable connection past its first
        /// request, upgraded there (``HTTPServer/upgradeOnKeepAlive(_:channel:logger:)``); else served as any
        /// request (the relay answers 400). A frame of its own, kept off the paths of other requests.
        @inline(never)
        private func relayHandshake(
            _ target: HTTPRoute, _ route: HTTPServer.Table.Route, _ request: Request, _ context: Context, parameters: [(String, String)]
        ) async -> Response {
            if let channel = context.channel, await HTTPServer.upgradesLater(channel) {
                return await server.upgradeOnKeepAlive(request, channel: channel, logger: context.logger)
            }
            return await serveTarget(target, route, request, context, parameters: parameters)
        }

        /// An automatic `OPTIONS` through the pre-match middleware of the route it twins.
        @inline(never)
        private func automaticOptions(_ twin: HTTPRoute, _ route: HTTPServer.Table.Route, _ request: Request, _ context: Context) async -> Response {
            var context = context
            context.matchedPath = route.pattern.text
            return await guarded(twin) {
                try await twin.pre.run(request, context) { _, _ in Response(status: .noContent) }
            }
        }

        /// A route with middleware: the pre-match chain, the route information, the post-match chain, the handler.
        @inline(never)
        private func throughChains(
            _ target: HTTPRoute, _ route: HTTPServer.Table.Route, _ request: Request, _ context: Context, parameters: [(String, String)]
        ) async -> Response {
            let key = route.key
            var context = context
            context.matchedPath = route.pattern.text
            return await guarded(target) {
                try await target.pre.run(request, context) { request, context in
                    var context = context
                    context.route = HTTPRouteInfo(
                        pattern: key, entry: target.entry, router: target.router,
                        function: target.function, parameters: parameters)
                    return try await target.post.run(request, context) { request, context in
                        try await handle(target.handler, request, context, parameters: parameters)
                    }
                }
            }
        }

        /// Go's ServeMux: a path that only a subtree matches (or nothing), naming the root of a subtree
        /// pattern without its slash, redirects (301) to that root.
        static func subtreeRedirect(_ table: HTTPServer.Table, method: String, path: String, query: String?) -> Response? {
            guard case .found(let route, _) = table.match(method: method, path: path + "/"), route.pattern.text == path + "/" else { return nil }
            var response = Response(status: .movedPermanently)
            response.headers[.location] = path + "/" + (query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
            return response
        }

        /// The route's handler at the center of its chains.
        func handle(_ handler: HTTPRoute.Handler, _ request: Request, _ context: Context, parameters: [(String, String)]) async throws -> Response {
            switch handler {
            case .endpoint(let endpoint):
                return await serve(endpoint, request, parameters: parameters, remoteAddress: context.remoteAddress, channel: context.channel, security: context.security)
            case .files(let files):
                return await files.respond(to: request, context: context)
            }
        }

        func serve(
            _ target: HTTPEndpointTarget, _ request: Request, parameters: [(String, String)], remoteAddress: String,
            channel: (any Channel)?, security: HTTPSecurityIdentity? = nil
        ) async -> Response {
            let exchange = exchange(target, request, parameters: parameters, remoteAddress: remoteAddress, channel: channel, security: security)
            // The response comes when the handler ends, or at its first flush (a stream).
            let response = await withCheckedContinuation { continuation in
                exchange.reply(to: continuation)
                server.handler(target, exchange)
            }
            return Self.relayReply(exchange) ?? response
        }

        private func exchange(
            _ target: HTTPEndpointTarget, _ request: Request, parameters: [(String, String)], remoteAddress: String,
            channel: (any Channel)?, security: HTTPSecurityIdentity? = nil
        ) -> HTTPExchange {
            let deadline = server.configuration.readTimeout.map { ContinuousClock.now + $0 }
            return HTTPExchange(
                request: request, parameters: parameters, remoteAddress: remoteAddress, channel: channel,
                readDeadline: deadline, streams: server.streams, security: security, target: target)
        }

        /// A relay route's endpoint that asked for a relay, requested without a handshake: 400.
        static func relayReply(_ exchange: HTTPExchange) -> Response? {
            guard exchange.target?.webSocketRelay != nil else { return nil }
            return WebSocketRelay.plainReply(exchange)
        }

        /// A middleware that throws answers 500 with the error (middlewares return their failures; this is
        /// the last line).
        func guarded(_ route: HTTPRoute, _ body: () async throws -> Response) async -> Response {
            do {
                return try await body()
            } catch let error as any HTTPResponseError {
                return Self.plain(error.status, "\(error)")
            } catch {
                server.logger.warning("http middleware of \(route.entry) failed: \(error)")
                return Self.plain(.internalServerError, "Internal Server Error")
            }
        }

        static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.xContentTypeOptions] = "nosniff"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        }
    }
}

/// The route table of one server: replaced whole when the registry changes, read by every request.
public final class HTTPRouteBoard: Sendable {
    private let current: Mutex<RouteTable<HTTPRoute>>
    private let relaying: Atomic<Bool>

    public init(_ table: RouteTable<HTTPRoute> = .empty) {
        current = Mutex(table)
        relaying = Atomic(Self.relaysWebSockets(table))
    }

    public var table: RouteTable<HTTPRoute> {
        get { current.withLock { $0 } }
        set {
            current.withLock { $0 = newValue }
            relaying.store(Self.relaysWebSockets(newValue), ordering: .releasing)
        }
    }

    /// True while some route's router lists `websocket_relay`: only then does a new connection get the
    /// pipeline that can upgrade its first request (which costs every idle keep-alive connection memory).
    public var relaysWebSockets: Bool { relaying.load(ordering: .acquiring) }

    private static func relaysWebSockets(_ table: RouteTable<HTTPRoute>) -> Bool {
        table.routes.contains { route in
            guard case .target(let target) = route.action, case .endpoint(let endpoint) = target.handler else { return false }
            return endpoint.webSocketRelay != nil
        }
    }
}

/// The request context of a Wippy server: Hummingbird's core storage and the peer's address.
public struct HTTPRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `ip:port` of the peer (`real_ip` may replace it with a bare IP).
    public var remoteAddress: String
    /// The connection (a streamed response watches it to notice a client that left); `nil` for a request
    /// that did not come through a channel.
    public let channel: (any Channel)?
    /// The path pattern of the route that matched (`/users/{id}`), known to pre-match middleware too
    /// (metrics label it by pattern, never by raw URL).
    public var matchedPath = ""
    /// Set between the pre- and post-match chains.
    public var route: HTTPRouteInfo?
    /// Set by `token_auth` when a token validated.
    public var security: HTTPSecurityIdentity?

    /// A context for a request that did not come through a channel (tests, internal calls).
    public init(remoteAddress: String, logger: Logger) {
        coreContext = .init(source: DetachedSource(logger: logger))
        self.remoteAddress = remoteAddress
        self.channel = nil
    }

    struct DetachedSource: RequestContextSource {
        let logger: Logger
    }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
        remoteAddress = Self.describe(source.channel.remoteAddress)
    }

    /// `ip:port` (`[ip]:port` for IPv6), `""` when unknown.
    static func describe(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress else { return "" }
        return address.protocol == .inet6 ? "[\(ip)]:\(address.port ?? 0)" : "\(ip):\(address.port ?? 0)"
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.nanosecondsClamped)
    }
}
