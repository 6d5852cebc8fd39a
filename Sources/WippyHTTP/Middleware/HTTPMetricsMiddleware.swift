public import Hummingbird
public import HummingbirdCore
public import WippyResources

/// `metrics` (lua-api-io §1.5): counts requests (`wippy_http_requests_total`), times them
/// (`wippy_http_request_duration_seconds`, until the handler's response is ready) and keeps the number in
/// flight (`wippy_http_requests_in_flight`) in the runtime's ``WippyResources/MetricsCollector``. Labels:
/// `method`, `path` (the route pattern's path, never the raw URL, so the series stay few) and, once
/// known, `status`.
public struct HTTPMetricsMiddleware: HTTPMiddleware {
    public let collector: MetricsCollector

    public init(collector: MetricsCollector) { self.collector = collector }

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        let method = request.method.rawValue
        let started = ContinuousClock.now
        try? collector.gaugeAdd("wippy_http_requests_in_flight", 1, labels: [("method", method)])
        defer { try? collector.gaugeAdd("wippy_http_requests_in_flight", -1, labels: [("method", method)]) }
        let response = try await next(request, context)
        let labels = [("method", method), ("path", context.matchedPath), ("status", String(response.status.code))]
        try? collector.counterAdd("wippy_http_requests_total", 1, labels: labels)
        try? collector.observe("wippy_http_request_duration_seconds", duration: ContinuousClock.now - started, labels: labels)
        return response
    }
}
