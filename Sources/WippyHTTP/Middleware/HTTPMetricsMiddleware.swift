public import HummingbirdCore
import HTTPTypes
import Synchronization
public import WippyResources

/// `metrics` (lua-api-io §1.5): counts requests (`wippy_http_requests_total`), times them
/// (`wippy_http_request_duration_seconds`) and keeps the number in flight (`wippy_http_requests_in_flight`)
/// in the runtime's ``WippyResources/MetricsCollector``. Labels: `method`, `path` (the route pattern's path,
/// never the raw URL, so the series stay few) and, once known, `status`.
///
/// A request is done when its body has been written, not when its handler's response is ready: a streamed
/// response (`flush`, SSE) stays in flight and is timed to its end, as a Go handler that writes its body
/// is. The response's body is wrapped to learn that; a body that is never written (the connection failed
/// first) is counted when the server drops it.
public struct HTTPMetricsMiddleware: HTTPMiddleware {
    public let collector: MetricsCollector

    public init(collector: MetricsCollector) { self.collector = collector }

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        let method = request.method.rawValue
        let started = ContinuousClock.now
        try? collector.gaugeAdd("wippy_http_requests_in_flight", 1, labels: [("method", method)])
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            try? collector.gaugeAdd("wippy_http_requests_in_flight", -1, labels: [("method", method)])
            throw error
        }
        let end = RequestEnd(
            collector: collector, method: method, started: started,
            labels: [("method", method), ("path", context.matchedPath), ("status", String(response.status.code))])
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            defer { end.record() }
            try await body.write(writer)
        }
        return response
    }
}

/// Records a request's end once: after its body was written (or failed), else when the body is dropped
/// unwritten.
private final class RequestEnd: Sendable {
    let collector: MetricsCollector
    let method: String
    let started: ContinuousClock.Instant
    let labels: [(String, String)]
    private let recorded = Atomic<Bool>(false)

    init(collector: MetricsCollector, method: String, started: ContinuousClock.Instant, labels: [(String, String)]) {
        self.collector = collector
        self.method = method
        self.started = started
        self.labels = labels
    }

    func record() {
        guard !recorded.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? collector.gaugeAdd("wippy_http_requests_in_flight", -1, labels: [("method", method)])
        try? collector.counterAdd("wippy_http_requests_total", 1, labels: labels)
        try? collector.observe("wippy_http_request_duration_seconds", duration: ContinuousClock.now - started, labels: labels)
    }

    deinit { record() }
}
