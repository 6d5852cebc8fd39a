import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Upgrades a WebSocket handshake that arrives on a keep-alive connection after plain requests (NIO's upgrade
/// handler only looks at a connection's first request, and is gone by then).
///
/// Sits in the HTTP/1.1 path of an upgradable connection, between NIO's HTTP/1 codec and Hummingbird's
/// handlers (a plain connection gets one when a handshake arrives, ``HTTPServer/upgradesLater(_:)``). The handshake itself reaches the responder as an ordinary request; the responder decides it
/// (``HTTPServer/upgradeOnKeepAlive(_:channel:logger:)``) and, to accept, calls
/// ``switchToWebSocket(_:)``: the `101` goes out through the HTTP encoder, the HTTP codec is replaced by the
/// WebSocket frame codec right below this handler, and the frames come up through this handler into a
/// ``FrameTap`` at the end of the pipeline. The tap is needed because the handlers in between (Hummingbird's
/// connection state handler and the async channel of the HTTP requests, which cannot be removed) only know
/// HTTP parts: frames and their writes go around them. The responder's task then runs the WebSocket session.
final class KeepAliveWebSocketUpgrade: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let maxFrameSize: Int
    private var context: ChannelHandlerContext?
    /// Set once the connection carries frames: reads go to it instead of up the HTTP handlers.
    private var tap: FrameTap?
    /// A request asked for an upgrade: NIO's HTTP decoder reads nothing after it, so unless it is upgraded
    /// its answer closes the connection (else the client would wait on a connection that can serve no more).
    private var upgradeAsked = false
    private var closeAfterResponse = false

    /// `upgradeAsked`: added while the handshake's head is already past (on a plain connection).
    init(maxFrameSize: Int, upgradeAsked: Bool = false) {
        self.maxFrameSize = maxFrameSize
        self.upgradeAsked = upgradeAsked
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        tap = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let tap {
            tap.deliver(data)
            return
        }
        if case .head(let head) = unwrapInboundIn(data), !head.headers["upgrade"].isEmpty { upgradeAsked = true }
        context.fireChannelRead(data)
    }

    /// Sends `head` (a `101`), swaps the HTTP codec for the WebSocket frame codec and returns the channel of
    /// frames. On the connection's event loop.
    func switchToWebSocket(_ head: HTTPResponseHead) throws -> NIOAsyncChannel<WebSocketFrame, WebSocketFrame> {
        guard let context, tap == nil else { throw ChannelError.inappropriateOperationForState }
        let pipeline = context.pipeline.syncOperations
        context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
        let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
        try pipeline.addHandlers(
            [WebSocketFrameEncoder(), ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize)), WebSocketProtocolErrorHandler()],
            position: .before(self))
        let tap = FrameTap(bridge: self)
        self.tap = tap
        try pipeline.addHandler(tap)
        let frames = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
            wrappingChannelSynchronously: context.channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        pipeline.removeHandler(encoder, promise: nil)
        // Bytes the HTTP decoder holds past the handshake (it stops parsing at an upgrade) go on to the frame
        // decoder as it leaves; the read-complete hands what they held to the frames' channel.
        pipeline.removeHandler(decoder, promise: nil)
        context.fireChannelReadComplete()
        return frames
    }

    /// HTTP parts written once the connection carries frames (the reply Hummingbird writes when the session's
    /// request returns) are dropped: the frame encoder below could not take them.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard tap == nil else { return promise?.fail(ChannelError.inappropriateOperationForState) ?? () }
        guard upgradeAsked || closeAfterResponse else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case .head(var head) where upgradeAsked:
            upgradeAsked = false
            closeAfterResponse = true
            head.headers.replaceOrAdd(name: "Connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closeAfterResponse:
            closeAfterResponse = false
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        default:
            context.write(data, promise: promise)
        }
    }

    /// Writes from the frames' channel, taken past the HTTP handlers (they would not know a frame).
    fileprivate func write(_ data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let context else { return promise?.fail(ChannelError.ioOnClosedChannel) ?? () }
        context.write(data, promise: promise)
    }

    fileprivate func flush() { context?.flush() }

    fileprivate func read() { context?.read() }

    fileprivate func close(mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard let context else { return promise?.fail(ChannelError.alreadyClosed) ?? () }
        context.close(mode: mode, promise: promise)
    }
}

/// The end of the pipeline of a connection upgraded on a keep-alive request, just before the frames' async
/// channel: frames come in from ``KeepAliveWebSocketUpgrade`` and writes, reads and closes go back to it.
/// Other events (read-complete, inactive, errors) arrive through the pipeline as usual.
final class FrameTap: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private weak var bridge: KeepAliveWebSocketUpgrade?
    private var context: ChannelHandlerContext?

    init(bridge: KeepAliveWebSocketUpgrade) { self.bridge = bridge }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    fileprivate func deliver(_ data: NIOAny) { context?.fireChannelRead(data) }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let bridge else { return promise?.fail(ChannelError.ioOnClosedChannel) ?? () }
        bridge.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) { bridge?.flush() }

    func read(context: ChannelHandlerContext) { bridge?.read() }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard let bridge else { return context.close(mode: mode, promise: promise) }
        bridge.close(mode: mode, promise: promise)
    }
}
