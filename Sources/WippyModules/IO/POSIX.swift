#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few system calls the terminal uses, in one place (and under names that do not clash with the
/// `read`/`write` methods of the types that call them).
enum POSIX {
    /// `write(2)`: bytes written, or -1 with ``lastError`` set.
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(descriptor, bytes, count)
        #else
        Darwin.write(descriptor, bytes, count)
        #endif
    }

    /// `read(2)`: bytes read, 0 at the end of input, or -1 with ``lastError`` set.
    static func read(_ descriptor: Int32, _ bytes: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(descriptor, bytes, count)
        #else
        Darwin.read(descriptor, bytes, count)
        #endif
    }

    static func close(_ descriptor: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(descriptor)
        #else
        _ = Darwin.close(descriptor)
        #endif
    }

    /// A pipe whose two ends are non-blocking and close-on-exec; nil when the system refuses.
    static func nonBlockingPipe() -> (read: Int32, write: Int32)? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        return (fds[0], fds[1])
    }

    /// Waits until one of `descriptors` is ready for `events` (`POLLIN`/`POLLOUT`), forever or `timeout` ms;
    /// returns which ones are ready (by position), or nil on an error other than `EINTR` (retried).
    static func poll(_ descriptors: [Int32], events: Int16, timeout: Int32 = -1) -> [Bool]? {
        var fds = descriptors.map { pollfd(fd: $0, events: events, revents: 0) }
        while true {
            #if canImport(Glibc)
            let ready = Glibc.poll(&fds, nfds_t(fds.count), timeout)
            #else
            let ready = Darwin.poll(&fds, nfds_t(fds.count), timeout)
            #endif
            if ready >= 0 { return fds.map { $0.revents != 0 } }
            if errno != EINTR { return nil }
        }
    }

    /// Runs `body` on a new detached thread; returns 0 or the `pthread_create` error.
    static func detachThread(_ body: @escaping () -> Void) -> Int32 {
        let entry = Unmanaged.passRetained(ThreadEntry(body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let result = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadEntry>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, entry)
        guard result == 0 else {
            Unmanaged<ThreadEntry>.fromOpaque(entry).release()
            return result
        }
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        if let thread { pthread_detach(thread) }
        #endif
        return 0
    }

    static var lastError: Int32 { errno }

    static let interrupted = EINTR
    static let wouldBlock = EAGAIN
    static let readable = Int16(POLLIN)
    static let writable = Int16(POLLOUT)

    /// The system's text for an error number.
    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// A closure handed to a new thread.
private final class ThreadEntry {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
