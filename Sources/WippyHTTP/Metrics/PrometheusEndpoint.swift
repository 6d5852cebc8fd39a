public import Hummingbird
public import HummingbirdCore
import HTTPTypes
public import Logging
import NIOCore
public import ServiceLifecycle
public import WippyResources

/// The Prometheus scrape endpoint (`.wippy.yaml` `prometheus.address`, core §9): `GET /metrics` answers the
/// collector's text exposition, `GET /livez` answers `ok`. A Hummingbird application, itself a service of
/// the run's `ServiceGroup` (it stops with the group).
public enum PrometheusEndpoint {
    public static func service(
        collector: MetricsCollector, host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> some Service {
        Application(
            responder: Responder(collector: collector),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    struct Responder: HTTPResponder {
        typealias Context = BasicRequestContext
        let collector: MetricsCollector

        func respond(to request: Request, context: Context) async throws -> Response {
            switch (request.method, request.uri.path) {
            case (.get, "/metrics"), (.head, "/metrics"):
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: collector.exposition())))
            case (.get, "/livez"):
                return .plainText(.ok, "ok")
            default:
                return .plainText(.notFound, "404 page not found")
            }
        }
    }
}
