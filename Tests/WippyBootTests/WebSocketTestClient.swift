import Foundation
import HTTPTypes
import NIOWebSocket
import Logging
import Synchronization
import Testing
import WSClient
#if canImport(Glibc)
import Glibc
#endif

/// A WebSocket client for tests (swift-websocket's client over loopback): the TEXT frames it receives are
/// recorded and can be waited for; `send` and `close` queue frames for its writer.
final class WebSocketTestClient: Sendable {
    let log = FrameLog()
    private let outgoing: AsyncStream<String?>.Continuation
    let task: Task<Void, Never>

    init(url: String, headers: [String: String] = [:]) {
        let (stream, outgoing) = AsyncStream.makeStream(of: String?.self)
        self.outgoing = outgoing
        let log = log
        task = Task {
            var configuration = WebSocketClientConfiguration()
            for (name, value) in headers { configuration.additionalHeaders[.init(name)!] = value }
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "ws-test")) { inbound, outbound, _ in
                    log.connected()
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask {
                            var messages = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                            while let message = try? await messages.next() {
                                if case .text(let text) = message { log.record(text) }
                            }
                        }
                        group.addTask {
                            for await item in stream {
                                guard let item else {
                                    try? await outbound.close(.normalClosure, reason: nil)
                                    return
                                }
                                try? await outbound.write(.text(item))
                            }
                        }
                        await group.next()
                        group.cancelAll()
                    }
                }
            } catch {
                log.record("connect failed: \(error)")
            }
            log.end()
        }
    }

    func send(_ text: String) { outgoing.yield(text) }

    func close() { outgoing.yield(nil) }

    func wait(within limit: Duration = .seconds(20), for predicate: @escaping @Sendable (String) -> Bool) async -> String? {
        await log.wait(within: limit, for: predicate)
    }

    /// A frame decoded as `{"topic":…,"data":…}`.
    static func decode(_ frame: String) -> (topic: String, data: Any?)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [String: Any], let topic = object["topic"] as? String else {
            return nil
        }
        return (topic, object["data"])
    }
}

/// The frames a test client received, waited for without polling.
final class FrameLog: Sendable {
    private struct State {
        var frames: [String] = []
        var ended = false
        var waiters: [(id: Int, predicate: @Sendable (String) -> Bool, continuation: CheckedContinuation<String?, Never>)] = []
        var nextID = 0
    }

    private let state = Mutex(State())

    var frames: [String] { state.withLock { $0.frames } }
    var ended: Bool { state.withLock { $0.ended } }

    func connected() { record("(connected)") }

    func record(_ frame: String) {
        let ready = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            state.frames.append(frame)
            let ready = state.waiters.filter { $0.predicate(frame) }
            state.waiters.removeAll { $0.predicate(frame) }
            return ready.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: frame) }
    }

    func end() {
        let waiting = state.withLock { state -> [CheckedContinuation<String?, Never>] in
            state.ended = true
            defer { state.waiters = [] }
            return state.waiters.map(\.continuation)
        }
        for continuation in waiting { continuation.resume(returning: nil) }
    }

    /// The first frame (already received or still to come) matching `predicate`, waiting up to `limit`;
    /// nil when none came or the connection ended first.
    func wait(within limit: Duration = .seconds(20), for predicate: @escaping @Sendable (String) -> Bool) async -> String? {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        return await withTaskGroup(of: String?.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let found = self.state.withLock { state -> String?? in
                        if let found = state.frames.first(where: predicate) { return .some(found) }
                        if state.ended { return .some(nil) }
                        state.waiters.append((id, predicate, continuation))
                        return nil
                    }
                    if let found { continuation.resume(returning: found) }
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            let stale = state.withLock { state -> CheckedContinuation<String?, Never>? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters.remove(at: index).continuation
            }
            stale?.resume(returning: nil)
            group.cancelAll()
            return first
        }
    }

    /// Waits until the connection ended, up to `limit`.
    func waitEnded(within limit: Duration = .seconds(20)) async -> Bool {
        _ = await wait(within: limit) { _ in false }
        return ended
    }
}

/// Raw loopback HTTP for handshakes a WebSocket client library would not send (bad origins, plain GETs).
enum WebSocketRawHTTP {
    struct Reply {
        var received: String
        var closed: Bool
        var status: Int? { Int(received.split(separator: " ").dropFirst().first ?? "") }
    }

    /// A WebSocket handshake for `path` (extra header lines in `headers`).
    static func handshake(_ path: String, port: Int, headers: [String] = []) -> String {
        var lines = [
            "GET \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Upgrade: websocket", "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
        ]
        lines += headers
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// A client's TEXT frame (masked, as RFC 6455 requires of clients) of a short text.
    static func maskedText(_ text: String) -> [UInt8] {
        let payload = Array(text.utf8)
        precondition(payload.count < 126)
        let mask: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
        return [0x81, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// Sends `request`, then reads until the server closes, `done` says the reply is complete, or `limit`
    /// passes; on a thread of its own (it blocks on the socket).
    static func exchange(
        _ port: Int, _ request: String, limit: Duration = .seconds(20), done: @escaping @Sendable (String) -> Bool = { _ in false }
    ) async -> Reply {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: blocking(port, request, limit: limit, done: done))
            }
        }
    }

    private static func blocking(_ port: Int, _ request: String, limit: Duration, done: (String) -> Bool) -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Reply(received: "socket failed", closed: false) }
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return Reply(received: "connect failed", closed: false) }
        _ = request.utf8.withContiguousStorageIfAvailable { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = ContinuousClock.now + limit
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 {
                bytes.append(contentsOf: buffer[0..<count])
                if done(String(decoding: bytes, as: UTF8.self)) { break }
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return Reply(received: String(decoding: bytes, as: UTF8.self), closed: true)
            }
        }
        return Reply(received: String(decoding: bytes, as: UTF8.self), closed: false)
    }
}
