import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a loopback HTTP server, for tests that must see a response as it streams
/// (bytes as they arrive, not after the end), stop reading, or leave mid-response. Blocking socket calls
/// run on threads of their own, never on the test's tasks.
final class RawHTTPConnection: Sendable {
    private let fd: Int32
    private let received = Mutex<(bytes: [UInt8], closed: Bool)>(([], false))

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks the socket's receive buffer (a slow reader).
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            var code = errno
            // A signal (another test's child exiting) can interrupt the call: the connection goes on, and is
            // waited for; any other error is thrown as it is.
            if code == EINTR || code == EINPROGRESS {
                var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                var ready: Int32
                repeat { ready = poll(&poller, 1, 10_000) } while ready < 0 && errno == EINTR
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                code = ready == 1 ? error : ETIMEDOUT
            }
            guard code == 0 else {
                Glibc.close(fd)
                throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
            }
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { return }
            offset += sent
        }
    }

    /// Everything received so far, as text.
    var text: String { received.withLock { String(decoding: $0.bytes, as: UTF8.self) } }

    var byteCount: Int { received.withLock { $0.bytes.count } }

    /// Reads until `done(text)` holds, the server closed, or `limit` passed; returns whether `done` held.
    /// `text` is what was received, or its last 64 KiB for a long response.
    func read(within limit: Duration = .seconds(30), until done: @escaping @Sendable (String) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { [self] in
                let deadline = ContinuousClock.now + limit
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let (text, closed) = received.withLock { (String(decoding: $0.bytes.suffix(65536), as: UTF8.self), $0.closed) }
                    if done(text) { return continuation.resume(returning: true) }
                    if closed || ContinuousClock.now > deadline { return continuation.resume(returning: false) }
                    let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if count > 0 {
                        received.withLock { $0.bytes += buffer[0..<count] }
                    } else if count == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                        received.withLock { $0.closed = true }
                    }
                }
            }
        }
    }

    /// Reads until the server closes the connection or `limit` passes; true when it closed.
    func readToClose(within limit: Duration = .seconds(30)) async -> Bool {
        _ = await read(within: limit) { _ in false }
        return received.withLock { $0.closed }
    }

    /// Closes at once, discarding what is unread (a reset when data is pending).
    func abort() {
        var linger = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        shutdown(fd, Int32(SHUT_RDWR))
    }
}
