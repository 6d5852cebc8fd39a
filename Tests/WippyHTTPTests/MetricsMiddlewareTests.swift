import HTTPTypes
import HummingbirdCore
import NIOCore
import Testing
import WippyResources
@testable import WippyHTTP

/// The `metrics` middleware counts a request when its body has been written, not when its handler's
/// response is ready (a streamed response stays in flight until it ends).
@Suite struct MetricsMiddlewareTests {
    static func line(_ collector: MetricsCollector, _ prefix: String) -> String? {
        String(decoding: collector.exposition(), as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init)
    }

    static func context(_ path: String) -> HTTPRequestContext {
        var context = MiddlewareTests.context()
        context.matchedPath = path
        return context
    }

    /// Before its body is written the request is in flight and not counted; after, it is counted with its
    /// status and no longer in flight. Without the wrapped body it was counted as soon as the handler's
    /// response was ready, while the stream still ran.
    @Test func aStreamedRequestIsInFlightUntilItsBodyEnds() async throws {
        let collector = MetricsCollector()
        let release = AsyncStream<Void>.makeStream()
        let response = try await HTTPMetricsMiddleware(collector: collector).handle(
            MiddlewareTests.request(.get, "/stream"), context: Self.context("/stream")
        ) { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "first "))
                for await _ in release.stream { break }
                try await writer.write(ByteBuffer(string: "last"))
                try await writer.finish(nil)
            })
        }
        let open = Self.line(collector, "wippy_http_requests_in_flight{")
        #expect(open?.hasSuffix(" 1") == true || open?.hasSuffix(" 1.0") == true, "\(open ?? "none")")
        #expect(Self.line(collector, "wippy_http_requests_total{") == nil)
        let writing = Task { try await MiddlewareTests.body(response) }
        release.continuation.yield()
        #expect(try await writing.value == Array("first last".utf8))
        let closed = Self.line(collector, "wippy_http_requests_in_flight{")
        #expect(closed?.hasSuffix(" 0") == true || closed?.hasSuffix(" 0.0") == true, "\(closed ?? "none")")
        let total = Self.line(collector, "wippy_http_requests_total{")
        #expect(total?.contains(#"path="/stream""#) == true && total?.contains(#"status="200""#) == true && total?.hasSuffix(" 1") == true, "\(total ?? "none")")
    }

    /// A response whose body is never written (the connection failed first) is still counted, once, when
    /// it is dropped.
    @Test func aResponseDroppedUnwrittenIsCountedOnce() async throws {
        let collector = MetricsCollector()
        do {
            let response = try await HTTPMetricsMiddleware(collector: collector).handle(
                MiddlewareTests.request(.get, "/gone"), context: Self.context("/gone")
            ) { _, _ in .plainText(.ok, "never sent") }
            #expect(response.status == .ok)
        }
        let total = Self.line(collector, "wippy_http_requests_total{")
        #expect(total?.contains(#"path="/gone""#) == true && total?.hasSuffix(" 1") == true, "\(total ?? "none")")
        let closed = Self.line(collector, "wippy_http_requests_in_flight{")
        #expect(closed?.hasSuffix(" 0") == true || closed?.hasSuffix(" 0.0") == true, "\(closed ?? "none")")
    }
}
