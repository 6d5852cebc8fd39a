import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// `timeouts.read` for the part of a request the exchange never sees: its head. A client that sends its
/// request line and headers slowly (slowloris) is cut off once `read` has passed since its first byte; the
/// body is bounded by the exchange's own read deadline, counted from the request's arrival.
///
/// Like Go's `http.Server`, a connection waiting for its next request with no idle timeout configured is
/// closed after `read` as well (Go uses `ReadTimeout` when `IdleTimeout` is zero); with one, Hummingbird's
/// connection state handler closes it.
///
/// Sits after the HTTP/1 decoder (added only when the server has a read timeout). It cannot see bytes, but
/// every socket read ends with a read-complete event: one with no request head before it while the
/// connection waits means a head has started to arrive.
final class RequestHeadDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Between requests (or before the first): nothing of the next head yet.
        case waiting
        /// Bytes of a head arrived, the head is not complete.
        case readingHead
        /// A head arrived; the response has not ended.
        case inRequest
    }

    let timeout: TimeAmount
    /// Whether an idle timeout bounds the wait between requests (then only heads are timed here).
    let idleTimeoutElsewhere: Bool
    private var state = State.waiting
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, idleTimeoutElsewhere: Bool) {
        self.timeout = timeout
        self.idleTimeoutElsewhere = idleTimeoutElsewhere
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startWaiting(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startWaiting(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancel() }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            state = .inRequest
            cancel()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state == .waiting {
            // Bytes of the next head: it must be complete within the read timeout from now.
            state = .readingHead
            arm(context)
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), state == .inRequest { startWaiting(context) }
        context.write(data, promise: promise)
    }

    private func startWaiting(_ context: ChannelHandlerContext) {
        state = .waiting
        cancel()
        if !idleTimeoutElsewhere { arm(context) }
    }

    private func arm(_ context: ChannelHandlerContext) {
        cancel()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    private func cancel() {
        timer?.cancel()
        timer = nil
    }
}
