import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// An inotify descriptor and a wake-up pipe to interrupt a wait on it: the watcher's only system calls.
///
/// Adding and removing watches may happen on any thread; reading and waiting on the watcher's thread.
final class Inotify: Sendable {
    private let descriptor: Int32
    /// Read and write ends of the wake-up pipe.
    private let wakeDescriptor: Int32
    private let wakeWriter: Int32

    /// What a ``wait(milliseconds:)`` returned for.
    struct Readiness {
        var events: Bool
        var woken: Bool
    }

    init() throws(WippyError) {
        #if os(Linux)
        let descriptor = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard descriptor >= 0 else { throw Inotify.failure("inotify_init1") }
        var pipeEnds: [Int32] = [-1, -1]
        guard pipe(&pipeEnds) == 0 else {
            close(descriptor)
            throw Inotify.failure("pipe")
        }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        self.descriptor = descriptor
        self.wakeDescriptor = pipeEnds[0]
        self.wakeWriter = pipeEnds[1]
        #else
        throw WippyError.unavailable("watching files needs Linux inotify")
        #endif
    }

    deinit {
        close(descriptor)
        close(wakeDescriptor)
        close(wakeWriter)
    }

    /// Watches a directory; returns the watch descriptor, or `nil` if it cannot be watched (gone, not a
    /// directory, a symbolic link, or the per-user watch limit reached).
    func addWatch(_ path: String, mask: InotifyEvent.Mask = .watched) -> Int32? {
        addWatchReporting(path, mask: mask).descriptor
    }

    /// ``addWatch(_:mask:)`` with the reason it failed: `nil` when the directory is simply gone (or not a
    /// directory), else the system's message (the watch limit reached, no permission).
    func addWatchReporting(_ path: String, mask: InotifyEvent.Mask = .watched) -> (descriptor: Int32?, failure: String?) {
        #if os(Linux)
        let watch = inotify_add_watch(descriptor, path, mask.rawValue)
        if watch >= 0 { return (watch, nil) }
        let code = errno
        if code == ENOENT || code == ENOTDIR { return (nil, nil) }
        let hint = code == ENOSPC ? " (the per-user inotify watch limit, fs.inotify.max_user_watches, is reached)" : ""
        return (nil, String(cString: strerror(code)) + hint)
        #else
        return (nil, "watching files needs Linux inotify")
        #endif
    }

    func removeWatch(_ watch: Int32) {
        #if os(Linux)
        _ = inotify_rm_watch(descriptor, watch)
        #endif
    }

    /// Waits until events are ready, ``wake()`` is called, or the timeout passes (-1: no timeout).
    func wait(milliseconds: Int32) -> Readiness {
        var descriptors = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&descriptors, 2, milliseconds)
        guard ready > 0 else { return Readiness(events: false, woken: false) }
        let woken = descriptors[1].revents != 0
        if woken {
            var drained = [UInt8](repeating: 0, count: 64)
            while read(wakeDescriptor, &drained, drained.count) > 0 {}
        }
        return Readiness(events: descriptors[0].revents != 0, woken: woken)
    }

    /// Interrupts a ``wait(milliseconds:)`` (from any thread).
    func wake() {
        var one: UInt8 = 1
        _ = write(wakeWriter, &one, 1)
    }

    /// Every event queued now (none if nothing is queued).
    func readEvents() -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        // Enough for many events; a name is at most NAME_MAX + 1 bytes.
        let capacity = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, capacity)
            guard count > 0 else { break }
            events += InotifyEvent.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return events
    }

    private static func failure(_ call: String) -> WippyError {
        WippyError.unavailable("\(call) failed: \(String(cString: strerror(errno)))")
    }
}
