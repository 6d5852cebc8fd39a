import HTTPTypes
import Logging
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOSSL
import NIOWebSocket
import Synchronization
import WippyCore

extension HTTPServer {
    /// The child channel of the server: Hummingbird's plain HTTP/1.1 channel, or (with a relay) the channel
    /// that can also upgrade a connection's first request to a WebSocket; under TLS when configured.
    func serverBuilder(_ http1: HTTP1Channel.Configuration) throws -> HTTPServerBuilder {
        let base: HTTPServerBuilder
        if webSocketRelay != nil {
            base = HTTPServerBuilder { responder in
                WebSocketUpgradeChannel(
                    responder: responder, http1: http1, firstHeadTimeout: [self.configuration.readTimeout.map { TimeAmount($0) }, http1.idleTimeout].compactMap { $0 }.min(),
                    upgrades: { [board = self.board] in board.relaysWebSockets }) {
                    [self] request, channel, logger in
                    await decideUpgrade(request, channel: channel, logger: logger)
                }
            }
        } else {
            base = .http1(configuration: http1)
        }
        guard let tls = configuration.tls else { return base }
        let tlsConfiguration = try tls.configuration()
        if tls.acceptsAnyClientCertificate {
            return try .tls(base, configuration: TLSChannelConfiguration(tlsConfiguration: tlsConfiguration) { _ in .certificateVerified })
        }
        return try .tls(base, tlsConfiguration: tlsConfiguration)
    }

    /// A WebSocket handshake: relayed when it matches an endpoint route whose router lists `websocket_relay`;
    /// any other is answered as the plain request would be (then the connection closes).
    ///
    /// A relayed handshake goes through the router's chains like any request (`cors`, `real_ip`,
    /// `ratelimit`, `token_auth`, the firewalls): a middleware that answers refuses the upgrade with its
    /// answer, and headers middlewares add on the way out go with the `101`.
    func decideUpgrade(_ head: HTTPRequest, channel: any Channel, logger: Logger) async -> WebSocketUpgradeChannel.Decision {
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        let context = HTTPRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let responder = Responder(server: self)
        if let relay = webSocketRelay,
            case .found(let found, let parameters) = board.table.match(method: head.method.rawValue, path: request.uri.path),
            case .target(let route) = found.action, case .endpoint(let target) = route.handler, let options = target.webSocketRelay
        {
            let accepted = AcceptedSession()
            var outer = context
            outer.matchedPath = found.pattern.text
            let key = found.key
            let response = await responder.guarded(route) {
                try await route.pre.run(request, outer) { request, context in
                    var context = context
                    context.route = HTTPRouteInfo(
                        pattern: key, entry: route.entry, router: route.router, function: route.function, parameters: parameters)
                    return try await route.post.run(request, context) { [handler] request, context in
                        let exchange = HTTPExchange(
                            request: request, parameters: parameters, remoteAddress: context.remoteAddress, security: context.security)
                        let decision = await relay.upgrade(exchange, options: options) {
                            // The endpoint runs to its end (a relay endpoint sets `X-WS-Relay` and returns; it does
                            // not stream).
                            _ = await withCheckedContinuation { continuation in
                                exchange.reply(to: continuation)
                                handler(target, exchange)
                            }
                        }
                        switch decision {
                        case .reply(let response):
                            return response
                        case .accept(let fields, let session):
                            accepted.set(fields, session)
                            return Response(status: .switchingProtocols)
                        }
                    }
                }
            }
            if response.status == .switchingProtocols, let (fields, session) = accepted.take() {
                var headers = fields
                for field in response.headers where headers[field.name] == nil { headers.append(field) }
                return .accept(headers, session)
            }
            return .reply(response)
        }
        do {
            return .reply(try await responder.respond(to: request, context: context))
        } catch {
            return .reply(Responder.plain(.internalServerError, "\(error)"))
        }
    }
}

extension HTTPServer {
    /// Whether `request` asks for a WebSocket (`Upgrade: websocket`).
    static func asksForWebSocket(_ request: Request) -> Bool {
        request.headers[values: .upgrade].contains { $0.lowercased() == "websocket" }
    }

    /// Whether `channel` can upgrade the handshake it is serving as a plain request (its first request
    /// otherwise goes through NIO's upgrader): an upgradable connection past its first request has
    /// ``KeepAliveWebSocketUpgrade``. A plain connection, made while no route relayed WebSockets (see
    /// ``WebSocketUpgradeChannel/upgrades``), gets one now, for this handshake only: right above NIO's HTTP
    /// codec, as the upgradable pipeline has it, told that an upgrade was asked (the head went by before it
    /// was there; a refusal must close the connection). Not with NIO's pipelining handler in the way, which
    /// could not pass frames.
    static func upgradesLater(_ channel: any Channel) async -> Bool {
        (try? await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            if (try? pipeline.handler(type: KeepAliveWebSocketUpgrade.self)) != nil { return true }
            guard (try? pipeline.handler(type: HTTPServerPipelineHandler.self)) == nil,
                let codec = try? pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
            else { return false }
            let bridge = KeepAliveWebSocketUpgrade(maxFrameSize: WebSocketUpgradeChannel.defaultMaxFrameSize, upgradeAsked: true)
            try pipeline.addHandler(bridge, position: .before(codec))
            return true
        }.get()) ?? false
    }

    /// A WebSocket handshake on a keep-alive connection after plain requests, decided as the first request's
    /// is (``decideUpgrade(_:channel:logger:)``). Accepted: the `101` goes out, the connection switches to
    /// frames and the session runs in this task until it ends (then the connection closes). Refused: the
    /// answer, with `Connection: close` (NIO's HTTP decoder reads nothing after a request that asked for an
    /// upgrade).
    func upgradeOnKeepAlive(_ request: Request, channel: any Channel, logger: Logger) async -> Response {
        // The key and version checks (and the accept value) of NIO's own upgrader.
        var nioHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        for name in [HTTPField.Name.secWebSocketKey, .secWebSocketVersion] {
            for value in request.headers[values: name] { nioHead.headers.add(name: name.rawName, value: value) }
        }
        let upgrader = NIOTypedWebSocketServerUpgrader<Void>(
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededVoidFuture() })
        guard let handshake = try? await upgrader.buildUpgradeResponse(channel: channel, upgradeRequest: nioHead, initialResponseHeaders: [:]).get() else {
            return Self.closing(Responder.plain(.badRequest, "bad WebSocket handshake (Sec-WebSocket-Key, Sec-WebSocket-Version: 13)"))
        }
        switch await decideUpgrade(request.head, channel: channel, logger: logger) {
        case .reply(let response):
            return Self.closing(response)
        case .accept(let fields, let session):
            var head = HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: handshake)
            for field in fields where !head.headers.contains(name: field.name.rawName) {
                head.headers.add(name: field.name.rawName, value: field.value)
            }
            let frames: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
            do {
                frames = try await channel.eventLoop.submit { [head] in
                    try channel.pipeline.syncOperations.handler(type: KeepAliveWebSocketUpgrade.self).switchToWebSocket(head)
                }.get()
            } catch {
                logger.debug("websocket upgrade on a keep-alive connection failed: \(error)")
                try? await channel.close()
                return Response(status: .internalServerError)
            }
            await WebSocketUpgradeChannel.run(session, on: frames, maxFrameSize: WebSocketUpgradeChannel.defaultMaxFrameSize, logger: logger)
            try? await channel.close()
            return Response(status: .switchingProtocols)
        }
    }

    private static func closing(_ response: Response) -> Response {
        var response = response
        response.headers[.connection] = "close"
        return response
    }
}

/// The session a relay route accepted inside the middleware chains, read back once the chains returned.
private final class AcceptedSession: Sendable {
    private let value = Mutex<(HTTPFields, WebSocketUpgradeChannel.Session)?>(nil)

    func set(_ fields: HTTPFields, _ session: @escaping WebSocketUpgradeChannel.Session) {
        value.withLock { $0 = (fields, session) }
    }

    func take() -> (HTTPFields, WebSocketUpgradeChannel.Session)? {
        value.withLock { state in
            defer { state = nil }
            return state
        }
    }
}
