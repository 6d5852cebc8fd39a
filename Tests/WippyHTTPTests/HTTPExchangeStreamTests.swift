import HTTPTypes
import HummingbirdCore
import NIOCore
import Synchronization
import Testing
import WippyCore
import WippyHTTP

/// The exchange's response state machine without a server: a buffered reply at the end, a streamed one
/// at the first flush with a bounded queue, a client that leaves; SSE framing; the relay header and origin
/// rules; multipart parsing from chunks.
@Suite struct HTTPExchangeStreamTests {
    static func exchange(_ method: HTTPRequest.Method = .get, path: String = "/x", headers: HTTPFields = [:], body: String = "") -> HTTPExchange {
        let head = HTTPRequest(method: method, scheme: "http", authority: "example.com", path: path, headerFields: headers)
        return HTTPExchange(request: Request(head: head, body: RequestBody(buffer: ByteBuffer(string: body))), parameters: [], remoteAddress: "")
    }

    /// Collects what a response body writes.
    final class Collector: ResponseBodyWriter, @unchecked Sendable {
        let parts = Mutex<[String]>([])
        let finished = Flag()
        func write(_ buffer: ByteBuffer) async throws { parts.withLock { $0.append(String(buffer: buffer)) } }
        func finish(_ trailingHeaders: HTTPFields?) async throws { finished.set() }
    }

    final class Flag: Sendable {
        private let value = Atomic<Bool>(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }

    @Test func aPlainReplyIsBufferedUntilTheEnd() async {
        let exchange = Self.exchange()
        #expect(exchange.setHeader("X-A", "1", handles: true) == nil)
        #expect(exchange.write(Array("hello".utf8)) == nil)
        #expect(!exchange.isStreaming)
        #expect(exchange.setHeader("X-B", "2", handles: true) != nil)
        exchange.finish(.returnedNothing)
        let response = await exchange.response()
        #expect(response.status == .ok)
        #expect(response.headers[HTTPField.Name("X-A")!] == "1")
        #expect(response.body.contentLength == 5)
    }

    @Test func aFlushStreamsAndTheQueueIsBounded() async throws {
        let exchange = Self.exchange()
        exchange.requestStreaming()
        #expect(exchange.write(Array("first".utf8)) == nil)
        #expect(exchange.isStreaming)
        let response = await exchange.response()
        #expect(response.body.contentLength == nil)
        // A fast writer: past the limit the queue is full and a waiter is kept until the writer drains it.
        #expect(exchange.write([UInt8](repeating: 65, count: HTTPExchange.queueLimit)) == nil)
        #expect(exchange.isQueueFull)
        let drained = Flag()
        let waiting = exchange.waitForDrain { drained.set() }
        #expect(waiting)
        let collector = Collector()
        let pump = Task { try await response.body.write(collector) }
        let deadline = ContinuousClock.now + .seconds(30)
        while !drained.isSet && ContinuousClock.now < deadline { await Task.yield() }
        #expect(drained.isSet)
        #expect(!exchange.isQueueFull)
        #expect(exchange.write(Array("last".utf8)) == nil)
        exchange.finish(.returnedNothing)
        try await pump.value
        #expect(collector.finished.isSet)
        let all = collector.parts.withLock { $0.joined() }
        #expect(all.hasPrefix("first") && all.hasSuffix("last") && all.utf8.count == 9 + HTTPExchange.queueLimit)
        #expect(exchange.peakQueuedBytes <= HTTPExchange.queueLimit + 5)
    }

    /// The backlog counts the writes the connection's writer has not taken yet (a relay bounds its client by
    /// this count); the writer taking the queue empties it, and abandoning the client drops it.
    @Test func theBacklogCountsWritesUntilTheWriterTakesThem() async throws {
        let exchange = Self.exchange()
        exchange.requestStreaming()
        #expect(exchange.write(Array("first".utf8)) == nil)
        let response = await exchange.response()
        for _ in 0..<3 { #expect(exchange.write(Array("ab".utf8)) == nil) }
        #expect(exchange.backlog == (4, 11))
        let collector = Collector()
        let pump = Task { try await response.body.write(collector) }
        let deadline = ContinuousClock.now + .seconds(30)
        while exchange.backlog != (0, 0) && ContinuousClock.now < deadline { await Task.yield() }
        #expect(exchange.backlog == (0, 0))
        #expect(exchange.write(Array("cd".utf8)) == nil)
        exchange.abandon()
        #expect(exchange.backlog == (0, 0) && exchange.isClientGone)
        #expect(exchange.write(Array("ef".utf8))?.message == "write failed")
        await #expect(throws: (any Error).self) { try await pump.value }
    }

    @Test func writesAfterTheClientLeftFail() async {
        let exchange = Self.exchange()
        exchange.flush()
        let gone = Flag()
        exchange.whenClientGone { gone.set() }
        let response = await exchange.response()
        final class Failing: ResponseBodyWriter {
            func write(_ buffer: ByteBuffer) async throws { throw CancellationError() }
            func finish(_ trailingHeaders: HTTPFields?) async throws {}
        }
        #expect(exchange.write(Array("x".utf8)) == nil)
        await #expect(throws: (any Error).self) { try await response.body.write(Failing()) }
        #expect(exchange.isClientGone && gone.isSet)
        #expect(exchange.write(Array("y".utf8))?.message == "write failed")
        #expect(exchange.write(Array("y".utf8))?.kind == .internal)
    }

    @Test func eventsAreSSEFramesAndSwitchOnlyBeforeABody() {
        #expect(SSEFrame.event(name: "tick", data: Array("{\"n\":1}".utf8)) == Array("event: tick\ndata: {\"n\":1}\n\n".utf8))
        #expect(SSEFrame.event(name: nil, data: Array("a\nb".utf8)) == Array("data: a\ndata: b\n\n".utf8))
        let exchange = Self.exchange()
        #expect(exchange.beginEvents() == nil)
        #expect(exchange.responseHeader("Content-Type") == "text/event-stream")
        let plain = Self.exchange()
        _ = plain.write(Array("body".utf8))
        #expect(plain.beginEvents()?.kind == .invalid)
    }

    @Test func theRelayHeaderAndOrigins() throws {
        let settings = try SSERelay.Settings(json: #"{"target_pid":"{app:processes|7}","heartbeat_interval":"2s","idle_timeout":"1m","metadata":{"u":1}}"#)
        #expect(settings.target != nil)
        #expect(settings.heartbeat == .seconds(2) && settings.idleTimeout == .seconds(60) && settings.hardTimeout == nil)
        #expect(settings.messageTopic == "sse.message")
        #expect(throws: WippyError.self) { try SSERelay.Settings(json: "{nope") }
        #expect(throws: WippyError.self) { try SSERelay.Settings(json: #"{"heartbeat_interval":"soon"}"#) }
        let none = SSERelay.Options()
        #expect(SSERelay.allows(origin: nil, host: "a.com", options: none))
        #expect(SSERelay.allows(origin: "https://a.com", host: "a.com", options: none))
        #expect(!SSERelay.allows(origin: "https://b.com", host: "a.com", options: none))
        let listed = SSERelay.Options(postOptions: ["sserelay.allowed.origins": "https://b.com, https://c.com"])
        #expect(SSERelay.allows(origin: "https://c.com", host: "a.com", options: listed))
        #expect(SSERelay.allows(origin: "https://x.com", host: "a.com", options: SSERelay.Options(allowedOrigins: ["*"])))
    }

    @Test func aMultipartBodyIsParsedFromChunks() async throws {
        #expect(MultipartForm.boundary("multipart/form-data; boundary=\"ab c\"") == "ab c")
        #expect(MultipartForm.boundary("multipart/form-data") == nil)
        let body = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\r\nhello\r\n--B--\r\n"
        let headers: HTTPFields = [.contentType: "multipart/form-data; boundary=B", .contentLength: String(body.utf8.count)]
        let exchange = Self.exchange(.post, headers: headers, body: body)
        let form = try await withCheckedThrowingContinuation { continuation in
            exchange.parseMultipart(maxMemory: 1 << 20, limit: 1 << 20, timeout: .seconds(30)) { continuation.resume(with: $0) }
        }
        #expect(form.values.map(\.0) == ["a"] && form.values.map(\.1) == ["1"])
        #expect(form.files.count == 1 && form.files.first?.filename == "x.txt" && form.files.first?.size == 5)
        let broken = Self.exchange(.post, headers: headers, body: "garbage without boundary")
        await #expect(throws: WippyError.self) {
            try await withCheckedThrowingContinuation { continuation in
                broken.parseMultipart(maxMemory: 1 << 20, limit: 1 << 20, timeout: .seconds(30)) { continuation.resume(with: $0) }
            }
        }
    }
}
