import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request over a raw loopback socket, read until the server closes (send `Connection:
/// close`) or `limit` passes; on a thread of its own (it blocks on the socket). What arrived is returned
/// either way, so a stalled response shows how far it got.
enum RawHTTP {
    struct Reply {
        var bytes: [UInt8]
        var closed: Bool

        /// The status line and header lines (lower-cased names).
        var head: (status: Int, headers: [String: String]) {
            guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return (0, [:]) }
            let lines = String(decoding: bytes[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
            let status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return (status, headers)
        }

        /// The body after the head (chunked framing left as it is).
        var body: [UInt8] {
            guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return [] }
            return Array(bytes[end.upperBound...])
        }
    }

    static func exchange(_ port: Int, _ request: String, limit: Duration = .seconds(30)) async -> Reply {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: blocking(port, request, limit: limit)) }
        }
    }

    private static func blocking(_ port: Int, _ request: String, limit: Duration) -> Reply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return Reply(bytes: [], closed: false) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return Reply(bytes: [], closed: false) }
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
            } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return Reply(bytes: bytes, closed: true)
            }
        }
        return Reply(bytes: bytes, closed: false)
    }
}
