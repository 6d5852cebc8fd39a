import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bad input to the HTTP server (issue 10, item 5), sent as raw bytes over loopback: a malformed request,
/// an oversized header, a client that stops mid-headers (slowloris) and one that disconnects mid-body each
/// get the right answer or a closed connection, and the server keeps serving everyone else meanwhile.
@Suite struct HTTPBadInputTests {
    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: gateway
            kind: http.service
            addr: "127.0.0.1:0"
            timeouts: {idle: 1s}
            lifecycle: {auto_start: true}
          - name: api
            kind: http.router
            meta: {server: gateway}
          - name: hello
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local res = http.response()
                res:write_json({message = "hello world"})
              end }
          - name: hello.get
            kind: http.endpoint
            meta: {router: api}
            method: GET
            path: /hello
            func: hello
          - name: echo
            kind: function.lua
            method: handler
            modules: [http]
            source: |
              local http = require("http")
              return { handler = function()
                local req, res = http.request(), http.response()
                local body, err = req:body()
                if err then res:set_status(400) res:write(err:message()) return end
                res:write(tostring(#body))
              end }
          - name: echo.post
            kind: http.endpoint
            meta: {router: api}
            method: POST
            path: /echo
            func: echo
        """

    /// What a raw exchange saw: the bytes the server sent, and whether it closed the connection.
    struct Exchange {
        var received: String
        var closed: Bool
    }

    /// Connects to `port`, sends `parts` (pausing `pause` between them), then reads until the server closes
    /// or `limit` passes; on a thread of its own (it blocks on the socket).
    static func exchange(_ port: Int, _ parts: [String], pause: Duration = .zero, limit: Duration = .seconds(20)) async -> Exchange {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: blockingExchange(port, parts, pause: pause, limit: limit))
            }
        }
    }

    private static func blockingExchange(_ port: Int, _ parts: [String], pause: Duration, limit: Duration) -> Exchange {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Exchange(received: "socket failed", closed: false) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return Exchange(received: "connect failed", closed: false) }
        for (index, part) in parts.enumerated() {
            if index > 0, pause > .zero { Thread.sleep(forTimeInterval: Double(pause.components.seconds) + Double(pause.components.attoseconds) / 1e18) }
            let sent = part.utf8.withContiguousStorageIfAvailable { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } ?? -1
            if sent < 0 { break }
        }
        // Read with a short receive timeout, until closed or the limit.
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = ContinuousClock.now + limit
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return Exchange(received: String(decoding: bytes, as: UTF8.self), closed: true)
            }
        }
        return Exchange(received: String(decoding: bytes, as: UTF8.self), closed: false)
    }

    /// A well-formed GET /hello answered on a fresh connection: the server is still serving.
    static func stillServes(_ port: Int) async -> Bool {
        let reply = await exchange(port, ["GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
        return reply.received.hasPrefix("HTTP/1.1 200") && reply.received.contains(#"{"message":"hello world"}"#)
    }

    @Test func badRequestsGetTheirAnswerAndTheServerKeepsServing() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index])
        let run = try RunningWippy(["run"], in: project.root)
        defer { run.signal(SIGTERM) }
        let logged = await run.waitFor("listening on 127.0.0.1:", within: .seconds(60))
        #expect(logged, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        guard logged, let range = run.stdout.range(of: "listening on 127.0.0.1:") else { return }
        let port = Int(run.stdout[range.upperBound...].prefix { $0.isNumber }) ?? 0
        #expect(await Self.stillServes(port))

        // A request line that is not HTTP: a 400, and the connection is closed.
        let garbage = await Self.exchange(port, ["THIS IS NOT HTTP\r\n\r\n"])
        #expect(garbage.received.hasPrefix("HTTP/1.1 400"), "\(garbage.received)")
        #expect(garbage.closed)
        #expect(await Self.stillServes(port))

        // A header far beyond any limit (1 MB): refused (an error status, or the connection closed), never
        // buffered until memory runs out.
        let huge = String(repeating: "a", count: 1_000_000)
        let oversized = await Self.exchange(port, ["GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: \(huge)\r\n\r\n"])
        #expect(oversized.closed)
        #expect(!oversized.received.hasPrefix("HTTP/1.1 200"), "\(oversized.received.prefix(200))")
        #expect(await Self.stillServes(port))

        // Bad UTF-8 in the path: an answer (404 here), not a crash.
        let badPath = await Self.exchange(port, ["GET /%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"])
        #expect(badPath.received.hasPrefix("HTTP/1.1 404"), "\(badPath.received)")

        // A client that disconnects in the middle of its body: the handler's read fails, others are served.
        let cut = await Self.exchange(port, ["POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nonly a little"], limit: .milliseconds(300))
        #expect(!cut.received.hasPrefix("HTTP/1.1 200"))
        #expect(await Self.stillServes(port))

        // Slowloris: headers that never end. The idle timeout (1 s) closes the connection while other
        // requests are served meanwhile.
        async let slow = Self.exchange(port, ["GET /hello HTTP/1.1\r\n", "Host: x\r\n", "X-A: 1\r\n"], pause: .milliseconds(100), limit: .seconds(30))
        #expect(await Self.stillServes(port))
        let slowReply = await slow
        #expect(slowReply.closed, "the slow client's connection stayed open: \(slowReply.received)")
        #expect(!slowReply.received.hasPrefix("HTTP/1.1 200"))
        #expect(await Self.stillServes(port))
    }

    /// `timeouts.read` alone (no idle timeout) bounds a request's head as well as its body: a client that
    /// trickles header lines for longer than it (a line every 100 ms for 6 s against 1 s) is cut off, while
    /// others are served meanwhile. Without the head deadline the trickle ends, the 200 comes and the
    /// connection stays open.
    @Test func theReadTimeoutCutsOffHeadersThatTrickle() async throws {
        let index = Self.index.replacingOccurrences(of: "timeouts: {idle: 1s}", with: "timeouts: {read: 1s}")
        let project = try TemporaryProject(files: ["src/_index.yaml": index])
        let run = try RunningWippy(["run"], in: project.root)
        defer { run.signal(SIGTERM) }
        let logged = await run.waitFor("listening on 127.0.0.1:", within: .seconds(60))
        #expect(logged, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        guard logged, let range = run.stdout.range(of: "listening on 127.0.0.1:") else { return }
        let port = Int(run.stdout[range.upperBound...].prefix { $0.isNumber }) ?? 0
        let parts = ["GET /hello HTTP/1.1\r\n", "Host: x\r\n"] + Array(repeating: "X-A: 1\r\n", count: 60) + ["\r\n"]
        async let slow = Self.exchange(port, parts, pause: .milliseconds(100), limit: .seconds(20))
        #expect(await Self.stillServes(port))
        let slowReply = await slow
        #expect(slowReply.closed, "the slow client's connection stayed open: \(slowReply.received)")
        #expect(!slowReply.received.hasPrefix("HTTP/1.1 200"), "\(slowReply.received)")
        // A body is bounded too (from the request's arrival): a POST that stops half-way gets no 200.
        let stalled = await Self.exchange(port, ["POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf"], limit: .seconds(20))
        #expect(!stalled.received.hasPrefix("HTTP/1.1 200"), "\(stalled.received)")
        #expect(await Self.stillServes(port))
    }
}
