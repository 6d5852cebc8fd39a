import Hummingbird
public import HummingbirdCore
import HTTPTypes
public import Logging
import NIOCore
public import WippyCore

/// The `websocket_relay` post-match middleware (lua-api-io §1.5) of one server: turns a WebSocket handshake
/// whose endpoint set `X-WS-Relay` into a relayed connection (``WebSocketRelayConnection``).
///
/// One entry point, ``upgrade(_:options:runEndpoint:)``, decides a handshake on a relay route:
/// 1. an `Origin` the router does not allow gets 403 (before the endpoint runs);
/// 2. the endpoint runs once, as for any request;
/// 3. no `X-WS-Relay` in its response: its response is sent as it is (and the connection closed); a header
///    that does not decode, or names no live process: 500 with the reason;
/// 4. otherwise the connection is upgraded and relayed. Subprotocols: the endpoint picks one of those the
///    client offers by setting `Sec-WebSocket-Protocol` on its response (it goes with the `101`); a pick the
///    client did not offer is a 500 naming it; no pick, no protocol (RFC 6455 §4.2.2).
/// ``plainReply(_:)`` answers a relay route requested without a handshake.
public final class WebSocketRelay: Sendable {
    let node: Node
    /// The process host relay connections live on (the server's endpoint host), if one runs.
    let host: @Sendable () -> ProcessHost?
    let logger: Logger
    /// The most messages queued for one client (`host.buffer_size` of the server): a client that lets more
    /// pile up is not reading, and is dropped.
    let bufferSize: Int

    public static let defaultBufferSize = RelayBacklog.defaultMessages

    public init(node: Node, logger: Logger, bufferSize: Int = defaultBufferSize, host: @escaping @Sendable () -> ProcessHost?) {
        self.node = node
        self.logger = logger
        self.bufferSize = max(1, bufferSize)
        self.host = host
    }

    public func upgrade(
        _ exchange: HTTPExchange, options: WebSocketRelayOptions, runEndpoint: @Sendable () async -> Void
    ) async -> WebSocketUpgradeChannel.Decision {
        let origin = exchange.request.header("Origin")
        guard options.allows(origin: origin, host: exchange.request.header("Host")) else {
            logger.warning("websocket_relay: origin \(origin ?? "") not allowed for \(exchange.request.path)")
            return .reply(Self.plain(.forbidden, "websocket_relay: origin not allowed"))
        }
        await runEndpoint()
        guard let text = exchange.responseHeader(WebSocketRelayHeader.name) else {
            return .reply(await exchange.response())
        }
        let header: WebSocketRelayHeader
        do throws(WippyError) {
            header = try WebSocketRelayHeader(json: text)
        } catch {
            logger.error("websocket_relay: \(exchange.request.path): \(error.message)")
            return .reply(Self.plain(.internalServerError, "websocket_relay: \(error.message)"))
        }
        guard node.isAlive(header.target) else {
            logger.error("websocket_relay: \(exchange.request.path): target process \(header.target) is not running")
            return .reply(Self.plain(.internalServerError, "websocket_relay: target process \(header.target) is not running"))
        }
        guard let host = host(), host.isRunning else {
            return .reply(Self.plain(.internalServerError, "websocket_relay: no running process host for the connection"))
        }
        var fields = HTTPFields()
        if let chosen = exchange.responseHeader("Sec-WebSocket-Protocol") {
            let offered = Self.offeredProtocols(exchange.request.header("Sec-WebSocket-Protocol"))
            guard offered.contains(chosen) else {
                logger.error("websocket_relay: \(exchange.request.path): the endpoint chose subprotocol \(chosen), which the client did not offer")
                return .reply(Self.plain(
                    .internalServerError,
                    "websocket_relay: the endpoint chose subprotocol '\(chosen)', which the client did not offer (\(offered.joined(separator: ", ")))"))
            }
            fields[.secWebSocketProtocol] = chosen
        }
        let connection = WebSocketRelayConnection(node: node, host: host, header: header, bufferSize: bufferSize, logger: logger)
        return .accept(fields) { inbound, outbound, _, abort in
            await connection.run(inbound: inbound, outbound: outbound, abort: abort)
        }
    }

    /// The subprotocols a handshake offers (`Sec-WebSocket-Protocol: chat.v2, chat.v1`), in its order.
    static func offeredProtocols(_ header: String?) -> [String] {
        (header ?? "").split(separator: ",").map { String(String($0).trimmingSpaces) }.filter { !$0.isEmpty }
    }

    /// The reply to a plain request on a relay route whose endpoint asked for a relay: 400 (the relay needs
    /// a WebSocket handshake). `nil` when the endpoint did not ask (its own response stands).
    public static func plainReply(_ exchange: HTTPExchange) -> Response? {
        guard exchange.responseHeader(WebSocketRelayHeader.name) != nil else { return nil }
        return plain(.badRequest, "websocket_relay: this endpoint needs a WebSocket handshake (Upgrade: websocket)")
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}
