import HTTPTypes
import Logging
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import NIOCore
import NIOSSL
import WippyCore

extension HTTPServer {
    /// The child channel of the server: Hummingbird's plain HTTP/1.1 channel, or (with a relay) the channel
    /// that can also upgrade a connection's first request to a WebSocket; under TLS when configured.
    func serverBuilder(_ http1: HTTP1Channel.Configuration) throws -> HTTPServerBuilder {
        let base: HTTPServerBuilder
        if webSocketRelay != nil {
            base = HTTPServerBuilder { responder in
                WebSocketUpgradeChannel(responder: responder, http1: http1) { [self] request, channel, logger in
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
    func decideUpgrade(_ head: HTTPRequest, channel: any Channel, logger: Logger) async -> WebSocketUpgradeChannel.Decision {
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer()))
        let remoteAddress = HTTPRequestContext.describe(channel.remoteAddress)
        if let relay = webSocketRelay,
            case .found(let route, let parameters) = board.table.match(method: head.method.rawValue, path: request.uri.path),
            case .target(let route) = route.action, case .endpoint(let target) = route.handler, let options = target.webSocketRelay
        {
            let exchange = HTTPExchange(request: request, parameters: parameters, remoteAddress: remoteAddress)
            return await relay.upgrade(exchange, options: options) { [handler] in
                // The endpoint runs to its end (a relay endpoint sets `X-WS-Relay` and returns; it does not stream).
                _ = await withCheckedContinuation { continuation in
                    exchange.reply(to: continuation)
                    handler(target, exchange)
                }
            }
        }
        let context = HTTPRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        do {
            return .reply(try await Responder(server: self).respond(to: request, context: context))
        } catch {
            return .reply(Responder.plain(.internalServerError, "\(error)"))
        }
    }
}
