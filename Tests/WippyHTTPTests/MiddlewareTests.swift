import CompressNIO
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization
import Testing
import WippyCore
@testable import WippyHTTP

/// The middleware chain and the middlewares of lua-api-io §1.5 as values: order, CORS decisions, token
/// buckets on made-up times, trusted proxies, gzip, byte ranges.
@Suite struct MiddlewareTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func request(_ method: HTTPRequest.Method = .get, _ path: String = "/", headers: HTTPFields = [:]) -> Request {
        Request(head: HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path, headerFields: headers), body: .init(buffer: ByteBuffer()))
    }

    static func context(_ remote: String = "127.0.0.1:5000") -> HTTPRequestContext {
        HTTPRequestContext(remoteAddress: remote, logger: logger)
    }

    static func ok(_ request: Request, _ context: HTTPRequestContext) async throws -> Response {
        .plainText(.ok, "ok " + context.remoteAddress)
    }

    static func body(_ response: Response) async throws -> [UInt8] {
        final class Box: Sendable { let bytes = Mutex<[UInt8]>([]) }
        let box = Box()
        try await response.body.write(BoxWriter(box: box))
        struct BoxWriter: ResponseBodyWriter {
            let box: Box
            mutating func write(_ buffer: ByteBuffer) async throws { box.bytes.withLock { $0 += Array(buffer.readableBytesView) } }
            consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
        }
        return box.bytes.withLock { $0 }
    }

    /// Records its name on the way in and out.
    struct Tracer: HTTPMiddleware {
        let name: String
        let trace: Trace
        func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
            trace.add("\(name)>")
            let response = try await next(request, context)
            trace.add("<\(name)")
            return response
        }
    }

    final class Trace: Sendable {
        let items = Mutex<[String]>([])
        func add(_ item: String) { items.withLock { $0.append(item) } }
    }

    @Test func firstListedIsOutermost() async throws {
        let trace = Trace()
        let chain = HTTPMiddlewareChain([Tracer(name: "a", trace: trace), Tracer(name: "b", trace: trace), Tracer(name: "c", trace: trace)])
        let response = try await chain.run(Self.request(), Self.context()) { request, context in
            trace.add("handler")
            return try await Self.ok(request, context)
        }
        #expect(response.status == .ok)
        #expect(trace.items.withLock { $0 } == ["a>", "b>", "c>", "handler", "<c", "<b", "<a"])
    }

    @Test func unknownMiddlewareIsAnErrorAndUnknownOptionsAreIgnored() throws {
        #expect(throws: WippyError.self) { try HTTPMiddlewareCatalog.chain(["cors", "nope"], options: [:], services: .init()) }
        let chain = try HTTPMiddlewareCatalog.chain(["cors", "ratelimit"], options: ["cors.nonsense": "x", "whatever": "1"], services: .init())
        #expect(chain.middlewares.count == 2)
        // A value that cannot be what its key needs is an error naming the key.
        #expect {
            try HTTPMiddlewareCatalog.chain(["ratelimit"], options: ["ratelimit.requests": "many"], services: .init())
        } throws: { ($0 as? WippyError)?.message.contains("ratelimit.requests") ?? false }
        // `metrics` without a collector is left out; `otel` does nothing.
        #expect(try HTTPMiddlewareCatalog.chain(["metrics", "otel"], options: [:], services: .init()).isEmpty)
    }

    @Test func corsAnswersPreflightsAndDecoratesAllowedOrigins() async throws {
        var configuration = try HTTPCORSMiddleware.Configuration(
            options: .init(["cors.allow.origins": "https://*.example.com, https://app.test", "cors.allow.credentials": "true",
                            "cors.allow.private.network": "true", "cors.expose.headers": "X-Total"]))
        let cors = HTTPCORSMiddleware(configuration)
        #expect(cors.allows("https://a.example.com"))
        #expect(cors.allows("https://deep.a.example.com"))
        #expect(!cors.allows("https://example.com"))
        #expect(!cors.allows("https://evil.com"))
        #expect(cors.allows("https://APP.test"))

        var headers: HTTPFields = [:]
        headers[.origin] = "https://a.example.com"
        headers[HTTPField.Name("Access-Control-Request-Method")!] = "PUT"
        headers[HTTPField.Name("Access-Control-Request-Private-Network")!] = "true"
        let handlerRan = Trace()
        let preflight = try await cors.handle(Self.request(.options, "/x", headers: headers), context: Self.context()) { request, context in
            handlerRan.add("ran")
            return try await Self.ok(request, context)
        }
        #expect(preflight.status == .noContent)
        #expect(handlerRan.items.withLock { $0 }.isEmpty)
        #expect(preflight.headers[.accessControlAllowOrigin] == "https://a.example.com")
        #expect(preflight.headers[.accessControlAllowCredentials] == "true")
        #expect(preflight.headers[.accessControlAllowMethods] == "GET, POST, PUT, DELETE, OPTIONS, PATCH")
        #expect(preflight.headers[.accessControlMaxAge] == "86400")
        #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Private-Network")!] == "true")

        var simple: HTTPFields = [:]
        simple[.origin] = "https://a.example.com"
        let decorated = try await cors.handle(Self.request(.get, "/x", headers: simple), context: Self.context(), next: Self.ok)
        #expect(decorated.headers[.accessControlAllowOrigin] == "https://a.example.com")
        #expect(decorated.headers[.accessControlExposeHeaders] == "X-Total")

        simple[.origin] = "https://evil.com"
        let refused = try await cors.handle(Self.request(.get, "/x", headers: simple), context: Self.context(), next: Self.ok)
        #expect(refused.status == .ok)
        #expect(refused.headers[.accessControlAllowOrigin] == nil)

        // Defaults: any origin, `*` without credentials.
        configuration = .init()
        let open = try await HTTPCORSMiddleware(configuration).handle(
            Self.request(.get, "/x", headers: [.origin: "http://x.test"]), context: Self.context(), next: Self.ok)
        #expect(open.headers[.accessControlAllowOrigin] == "*")
    }

    @Test func tokenBucketsRefillAtTheirRateAndStayBounded() {
        var buckets = RateLimitBuckets(.init(requests: 60, window: .seconds(60), burst: 3, cleanupInterval: .seconds(10), entryTTL: .seconds(30), maxEntries: 2))
        func take(_ key: String, _ now: Double) -> Bool { buckets.take(key, now: now) }
        // The burst, then refused.
        #expect(take("a", 0))
        #expect(take("a", 0))
        #expect(take("a", 0))
        #expect(!take("a", 0.5))
        // One token a second comes back.
        #expect(take("a", 1.5))
        #expect(!take("a", 1.6))
        // Keys are independent.
        #expect(take("b", 2))
        // At max_entries the least recently seen key makes room.
        #expect(take("c", 3))
        #expect(buckets.count == 2)
        // Idle keys are swept after their TTL.
        #expect(take("d", 100))
        #expect(buckets.count == 1)
    }

    @Test func rateLimitAnswers429WithItsHeaders() async throws {
        let now = Mutex<Double>(0)
        let limiter = HTTPRateLimitMiddleware(
            limits: .init(requests: 10, window: .seconds(60), burst: 2), key: .header("X-Key"), clock: { now.withLock { $0 } })
        func call(_ key: String) async throws -> Response {
            try await limiter.handle(Self.request(headers: [HTTPField.Name("X-Key")!: key]), context: Self.context(), next: Self.ok)
        }
        #expect(try await call("k").status == .ok)
        #expect(try await call("k").status == .ok)
        let refused = try await call("k")
        #expect(refused.status == .tooManyRequests)
        #expect(refused.headers[HTTPField.Name("X-RateLimit-Limit")!] == "10")
        #expect(refused.headers[HTTPField.Name("X-RateLimit-Window")!] == "1m0s")
        #expect(try await call("other").status == .ok)
        now.withLock { $0 = 6 }
        #expect(try await call("k").status == .ok)
    }

    @Test func realIPTrustsOnlyConfiguredProxies() async throws {
        let realIP = try HTTPRealIPMiddleware()
        var headers: HTTPFields = [:]
        headers[HTTPField.Name("X-Forwarded-For")!] = "203.0.113.9, 10.0.0.1"
        headers[HTTPField.Name("X-Real-IP")!] = "198.51.100.4"
        let viaProxy = try await realIP.handle(Self.request(headers: headers), context: Self.context("10.1.2.3:999"), next: Self.ok)
        #expect(try await Self.body(viaProxy) == Array("ok 198.51.100.4\n".utf8))
        headers[HTTPField.Name("X-Real-IP")!] = nil
        let forwarded = try await realIP.handle(Self.request(headers: headers), context: Self.context("[::1]:999"), next: Self.ok)
        #expect(try await Self.body(forwarded) == Array("ok 203.0.113.9\n".utf8))
        let direct = try await realIP.handle(Self.request(headers: headers), context: Self.context("8.8.8.8:1"), next: Self.ok)
        #expect(try await Self.body(direct) == Array("ok 8.8.8.8:1\n".utf8))
        #expect(throws: WippyError.self) { try HTTPRealIPMiddleware(subnets: ["10.0.0.0/99"]) }
    }

    @Test func compressGzipsLargeBodiesForClientsThatAcceptIt() async throws {
        let text = String(repeating: "hello wippy ", count: 200)
        let compress = HTTPCompressMiddleware(minLength: 1024)
        let handler: HTTPNext = { _, _ in .plainText(.ok, text) }
        let gzipped = try await compress.handle(Self.request(headers: [.acceptEncoding: "br, gzip"]), context: Self.context(), next: handler)
        #expect(gzipped.headers[.contentEncoding] == "gzip")
        var compressed = ByteBuffer(bytes: try await Self.body(gzipped))
        #expect(compressed.readableBytes < text.utf8.count / 4)
        let plain = try compressed.decompress(with: .gzip())
        #expect(String(buffer: plain) == text + "\n")
        let identity = try await compress.handle(Self.request(), context: Self.context(), next: handler)
        #expect(identity.headers[.contentEncoding] == nil)
        let small = try await compress.handle(Self.request(headers: [.acceptEncoding: "gzip"]), context: Self.context()) { _, _ in .plainText(.ok, "tiny") }
        #expect(small.headers[.contentEncoding] == nil)
        #expect(HTTPCompressMiddleware.acceptsGzip(["gzip;q=0"]) == false)
        #expect(gzipped.headers[.contentLength] == String(try await Self.body(gzipped).count))

        // A body of unknown length (a stream) is compressed as it goes, each chunk flushed.
        let streamed = try await compress.handle(Self.request(headers: [.acceptEncoding: "gzip"]), context: Self.context()) { _, _ in
            Response(status: .ok, body: ResponseBody { writer in
                for _ in 0..<50 { try await writer.write(ByteBuffer(string: "chunk of text ")) }
                try await writer.finish(nil)
            })
        }
        #expect(streamed.headers[.contentEncoding] == "gzip")
        #expect(streamed.headers[.contentLength] == nil)
        var streamedBytes = ByteBuffer(bytes: try await Self.body(streamed))
        #expect(String(buffer: try streamedBytes.decompress(with: .gzip())) == String(repeating: "chunk of text ", count: 50))
    }

    @Test func byteRanges() {
        #expect(ByteRange.parse("bytes=0-3", size: 10) == .part(0..<4))
        #expect(ByteRange.parse("bytes=5-", size: 10) == .part(5..<10))
        #expect(ByteRange.parse("bytes=-3", size: 10) == .part(7..<10))
        #expect(ByteRange.parse("bytes=8-100", size: 10) == .part(8..<10))
        #expect(ByteRange.parse("bytes=10-", size: 10) == .unsatisfiable(ByteRange.noOverlap))
        #expect(ByteRange.parse("bytes=-0", size: 10) == .unsatisfiable(ByteRange.noOverlap))
        #expect(ByteRange.parse("bytes=4-2", size: 10) == .unsatisfiable(ByteRange.invalid))
        #expect(ByteRange.parse("items=0-1", size: 10) == .unsatisfiable(ByteRange.invalid))
        #expect(ByteRange.parse("bytes=0-1,x-5", size: 10) == .unsatisfiable(ByteRange.invalid))
        // Several ranges, in the order asked; one past the end is dropped.
        #expect(ByteRange.parse("bytes=0-1, 4-5", size: 10) == .parts([0..<2, 4..<6]))
        #expect(ByteRange.parse("bytes=6-,0-0", size: 10) == .parts([6..<10, 0..<1]))
        #expect(ByteRange.parse("bytes=0-1,20-30", size: 10) == .part(0..<2))
        #expect(ByteRange.parse("bytes=20-30,40-", size: 10) == .unsatisfiable(ByteRange.noOverlap))
        // More bytes than the file, asked in pieces: the whole file.
        #expect(ByteRange.parse("bytes=0-9,0-9", size: 10) == .whole)
        #expect(ByteRange.parse("bytes=", size: 10) == .whole)
        #expect(HTTPDate.parse(HTTPDate.format(1_700_000_000)) == 1_700_000_000)
    }
}
