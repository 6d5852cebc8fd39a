import Dispatch
public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// A Unix domain socket a running `wippy run` answers on, so other commands (`wippy status`,
/// `wippy workflow signal`) can look at and steer the live system. A client sends its request (possibly
/// empty: the status report) and closes its writing side; it gets one reply — the bytes `reply` returns for
/// that request — and the connection is closed.
public final class ControlServer: @unchecked Sendable {
    public let path: String
    private let listener: Int32
    private let reply: @Sendable ([UInt8]) -> [UInt8]
    private let done = DispatchSemaphore(value: 0)

    /// Binds `path` (replacing a stale socket left by a crashed run) and starts answering.
    ///
    /// - Throws: when another live run answers on `path`, or the socket cannot be made.
    public init(path: String, reply: @escaping @Sendable ([UInt8]) -> [UInt8]) throws(WippyError) {
        self.path = path
        self.reply = reply
        if (try? ControlClient.request(path)) != nil {
            throw WippyError("another wippy is already running here (\(path))", kind: .alreadyExists, retryable: false)
        }
        if let slash = path.lastIndex(of: "/") { mkdir(String(path[..<slash]), 0o755) }
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WippyError.invalid("control socket: \(String(cString: strerror(errno)))") }
        do throws(WippyError) {
            var address = try ControlClient.address(path)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0, listen(fd, 16) == 0 else {
                throw WippyError.invalid("control socket \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            close(fd)
            throw error
        }
        listener = fd
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    private func serve() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                break
            }
            // The request: what the client sends before closing its side (at most 1 MiB, 5 s).
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var request: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while request.count < 1 << 20 {
                let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                request += chunk[0..<count]
            }
            let bytes = reply(request)
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = send(client, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                    if written <= 0 { break }
                    offset += written
                }
            }
            close(client)
        }
        done.signal()
    }

    /// Stops answering and removes the socket file.
    public func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        done.wait()
        unlink(path)
    }
}

/// A plain pthread running one closure (the accept loop must not take a Dispatch worker for good).
private final class Thread {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }

    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { raw in
            Unmanaged<Thread>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        pthread_detach(thread)
    }
}
