public import HTTPTypes
public import HummingbirdCore
public import Logging
public import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Synchronization
@_spi(WSInternal) public import WSCore

/// The HTTP/1.1 child channel of a server that can upgrade a connection's first request to a WebSocket.
///
/// A request carrying `Upgrade: websocket` is put to ``Decide`` (which may run the route's endpoint, without
/// holding a thread): it either serves the request as plain HTTP (`serve`: the request goes on to the
/// responder like any other), answers it and closes the connection (`reject`: a 403, the handler's own
/// reply, a 500 for a bad relay header), or upgrades (`accept`: the session runs until the socket closes).
/// Every other request takes the plain HTTP/1.1 path with the same handlers as Hummingbird's `HTTP1Channel`;
/// the upgrade machinery costs each connection one handler until its first request head, nothing per request.
public struct WebSocketUpgradeChannel: ServerChildChannel, HTTPChannelHandler {
    /// What a WebSocket session does with its connection; returns when it is done with it. The last argument
    /// drops the connection at once (no close handshake: for a client that does not read, whose socket
    /// would never take a close frame).
    public typealias Session = @Sendable (WebSocketInboundStream, WebSocketOutboundWriter, Logger, _ abort: @escaping @Sendable () -> Void) async -> Void

    public enum Decision: Sendable {
        /// Answer with this response and close the connection (NIO's upgrade handler has consumed the
        /// request: a handshake the server does not upgrade cannot go on as a plain exchange).
        case reply(Response)
        /// Upgrade (with these extra response headers) and run the session.
        case accept(HTTPFields, Session)
    }

    public typealias Decide = @Sendable (HTTPRequest, any Channel, Logger) async -> Decision

    enum Outcome: Sendable {
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// A refused handshake, answered and closed.
        case answered
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, Session)
    }

    /// A decided handshake, kept for NIO's callbacks (on the connection's event loop).
    enum Decided {
        case reply(HTTPResponse, ByteBuffer)
        case accept(Session)
    }

    public struct Value: ServerChildChannelValue {
        enum Setup {
            /// Hummingbird's own HTTP/1.1 pipeline (no route relays WebSockets).
            case plain(HTTP1Channel.Value)
            /// The pipeline that can upgrade the first request, and what it became.
            case upgradable(EventLoopFuture<Outcome>)
        }

        let setup: Setup
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    let http1: HTTP1Channel.Configuration
    let decide: Decide
    /// Asked once per new connection: false gives it Hummingbird's plain HTTP/1.1 pipeline (the upgrade
    /// machinery would cost every idle keep-alive connection about 3 KB while no route can use it). A route
    /// that starts relaying later can still upgrade such a connection: the handshake reaches the responder
    /// as a plain request, which adds the bridge then (``HTTPServer/upgradesLater(_:)``).
    let upgrades: @Sendable () -> Bool
    /// Largest WebSocket frame accepted from a client.
    let maxFrameSize: Int
    /// How long a connection may take to send its first request head (the shorter of the read and idle timeouts).
    let firstHeadTimeout: TimeAmount?

    public init(
        responder: @escaping HTTPChannelHandler.Responder, http1: HTTP1Channel.Configuration, firstHeadTimeout: TimeAmount? = nil,
        maxFrameSize: Int = defaultMaxFrameSize, upgrades: @escaping @Sendable () -> Bool = { true }, decide: @escaping Decide
    ) {
        self.responder = responder
        self.http1 = http1
        self.firstHeadTimeout = firstHeadTimeout ?? http1.idleTimeout
        self.decide = decide
        self.upgrades = upgrades
        self.maxFrameSize = maxFrameSize
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard upgrades() else {
            return HTTP1Channel(responder: responder, configuration: http1).setup(channel: channel, logger: logger).map {
                Value(setup: .plain($0), channel: channel)
            }
        }
        return setupUpgradable(channel: channel, logger: logger)
    }

    private func setupUpgradable(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // The decision of the first request (an upgrade stays the first request: a client asks on a new
            // connection), read back when NIO asks for the upgraded or plain pipeline.
            let decided = NIOLoopBoundBox<Decided?>(nil, eventLoop: channel.eventLoop)
            let firstHead = FirstRequestDeadline(timeout: firstHeadTimeout)
            let decide = self.decide
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: maxFrameSize,
                shouldUpgrade: { channel, head in
                    let request: HTTPRequest
                    do {
                        request = try HTTPRequest(head, secure: false, splitCookie: false)
                    } catch {
                        return channel.eventLoop.makeFailedFuture(error)
                    }
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        let answer: Decided
                        var headers: HTTPHeaders?
                        switch await decide(request, channel, logger) {
                        case .reply(let response):
                            let collected = CollectingWriter.Box()
                            try await response.body.write(CollectingWriter(box: collected))
                            answer = .reply(response.head, collected.buffer)
                        case .accept(let fields, let session):
                            answer = .accept(session)
                            headers = HTTPHeaders(fields.map { ($0.name.rawName, $0.value) })
                        }
                        return try await channel.eventLoop.submit { [headers] in
                            decided.value = answer
                            return headers
                        }.get()
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        channel.pipeline.syncOperations.removeHandler(firstHead, promise: nil)
                        guard case .accept(let session) = decided.value else { throw ChannelError.inappropriateOperationForState }
                        let frames = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return Outcome.websocket(frames, session)
                    }
                })
            let http1 = self.http1
            let frameLimit = self.maxFrameSize
            let plain = NIOTypedHTTPServerUpgradeConfiguration<Outcome>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        sync.removeHandler(firstHead, promise: nil)
                        if case .reply(let response, let body)? = decided.value {
                            // The refused handshake's request was consumed by the upgrade handler: answer
                            // with NIO's HTTP/1 parts and close.
                            var head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: response.status.code))
                            for field in response.headerFields where field.name != .contentLength && field.name != .connection {
                                head.headers.add(name: field.name.rawName, value: field.value)
                            }
                            head.headers.add(name: "Content-Length", value: String(body.readableBytes))
                            head.headers.add(name: "Connection", value: "close")
                            channel.write(HTTPServerResponsePart.head(head), promise: nil)
                            channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil)
                            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
                            return Outcome.answered
                        }
                        // A later request of the connection may still ask for a WebSocket.
                        try sync.addHandler(KeepAliveWebSocketUpgrade(maxFrameSize: frameLimit))
                        try sync.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try sync.addHandlers(http1.additionalChannelHandlers())
                        try sync.addHandler(HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger))
                        let parts = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        return Outcome.http(parts)
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: plain)
            configuration.enablePipelining = false
            configuration.enableErrorHandling = false
            configuration.enableResponseHeaderValidation = false
            configuration.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            configuration.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            configuration.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let sync = channel.pipeline.syncOperations
            let outcome = try sync.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let upgradeHandler = try sync.handler(type: NIOTypedHTTPServerUpgradeHandler<Outcome>.self)
            try sync.addHandler(OnlyWebSocketUpgrades(), position: .before(upgradeHandler))
            try sync.addHandler(firstHead)
            return Value(setup: .upgradable(outcome), channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        switch value.setup {
        case .plain(let parts):
            await handleHTTP(asyncChannel: parts, logger: logger)
        case .upgradable(let outcome):
            await handle(outcome, channel: value.channel, logger: logger)
        }
    }

    /// Kept out of ``handle(value:logger:)`` so a plain connection's task holds only that small frame.
    @inline(never)
    private func handle(_ outcome: EventLoopFuture<Outcome>, channel: any Channel, logger: Logger) async {
        do {
            switch try await outcome.get() {
            case .http(let parts):
                await handleHTTP(asyncChannel: parts, logger: logger)
            case .answered:
                return
            case .websocket(let frames, let session):
                await Self.run(session, on: frames, maxFrameSize: maxFrameSize, logger: logger)
            }
        } catch {
            logger.debug("websocket upgrade channel ended: \(error)")
            try? await channel.close()
        }
    }

    /// Runs a session on an upgraded connection until it ends.
    static func run(_ session: Session, on frames: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, maxFrameSize: Int, logger: Logger) async {
        do {
            _ = try await WebSocketHandler.handle(
                type: .server,
                configuration: .init(extensions: [], autoPing: .disabled, validateUTF8: false, maxFrameSize: maxFrameSize),
                asyncChannel: frames, context: RelayContext(logger: logger),
                handler: { [channel = frames.channel] inbound, outbound, context in
                    await session(inbound, outbound, context.logger) { channel.close(promise: nil) }
                })
        } catch {
            logger.debug("websocket session ended: \(error)")
        }
    }

    /// Largest WebSocket frame accepted from a client, unless the server says otherwise.
    public static let defaultMaxFrameSize = 1 << 20

    struct RelayContext: WebSocketContext {
        let logger: Logger
    }
}

/// Collects a response body into one buffer (rejections are small: an error text or a handler's reply).
struct CollectingWriter: ResponseBodyWriter {
    final class Box: @unchecked Sendable {
        var buffer = ByteBuffer()
    }

    let box: Box

    mutating func write(_ buffer: ByteBuffer) async throws {
        box.buffer.writeImmutableBuffer(buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Lets only WebSocket handshakes reach NIO's upgrade handler: a first request asking for another protocol
/// (`Upgrade: h2c` from `curl --http2`, anything else) loses its `Upgrade` header and is served as the plain
/// HTTP/1.1 request it also is. Removed after the first request head.
final class OnlyWebSocketUpgrades: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else { return context.fireChannelRead(data) }
        let asked = head.headers[canonicalForm: "upgrade"]
        if !asked.isEmpty && !asked.contains(where: { $0.lowercased() == "websocket" }) {
            head.headers.remove(name: "upgrade")
            context.fireChannelRead(wrapInboundOut(.head(head)))
        } else {
            context.fireChannelRead(data)
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// Guards a connection until its first request is decided (then it is removed and the HTTP/1.1 connection
/// state handler takes over): closes it when no complete request head arrived within the shorter of the read and idle timeouts
/// (slowloris) or when the server quiesces first, and answers a request the decoder refused with 400.
/// Sits at the end of the pipeline, after NIO's upgrade handler.
final class FirstRequestDeadline: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let timeout: TimeAmount?
    private let scheduled = Mutex<Scheduled<Void>?>(nil)

    init(timeout: TimeAmount?) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let timeout else { return }
        let channel = context.channel
        let task = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        scheduled.withLock { $0 = task }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduled.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A handshake the server refused (NIO reports it before running the plain path, which answers it).
        if error is NIOWebSocketUpgradeError { return }
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        var head = HTTPResponseHead(version: .http1_1, status: .badRequest)
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: "0")
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)), promise: nil)
        context.close(promise: nil)
    }
}
