#if canImport(Glibc)
import Glibc
#endif
import WippyCore

/// The write-ahead log file of a SQLite database in WAL mode, opened a second time to flush it.
///
/// `fdatasync` flushes a file, whichever descriptor names it. The log stays the same file while a connection
/// has the database open (SQLite deletes it only when the last connection closes; a checkpoint that restarts
/// the log rewrites it in place), and the writer's connection is open as long as this is. A flush still checks
/// the path: a different file there (SQLite made a new log) is opened and flushed instead; no file there (the
/// directory was removed under the running store) flushes the one held, which is where SQLite still writes.
///
/// The directory is flushed too when a log file is opened, as SQLite does on a new log's first flush with
/// `synchronous = FULL`: a log whose directory entry is lost in a power cut would lose its commits with it.
final class WriteAheadLogFile: @unchecked Sendable {
    let path: String
    private var descriptor: Int32

    /// Opens `<database>-wal`; nil when it does not exist or cannot be opened (the writer then keeps FULL).
    init?(database: String) {
        path = database + "-wal"
        descriptor = open(path, O_RDWR | O_CLOEXEC)
        if descriptor < 0 { return nil }
        if flushDirectory() != nil {
            close(descriptor)
            return nil
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Flushes the log's data to the disk; called from one thread at a time (the syncer's).
    func flush() -> WippyError? {
        var held = stat()
        var named = stat()
        if fstat(descriptor, &held) == 0, stat(path, &named) == 0, held.st_ino != named.st_ino || held.st_dev != named.st_dev {
            let reopened = open(path, O_RDWR | O_CLOEXEC)
            guard reopened >= 0 else { return failure("cannot open it again", errno) }
            close(descriptor)
            descriptor = reopened
            if let failed = flushDirectory() { return failed }
        }
        while fdatasync(descriptor) != 0 {
            let code = errno
            if code != EINTR { return failure("cannot flush it to disk", code) }
        }
        return nil
    }

    private func flushDirectory() -> WippyError? {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let handle = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard handle >= 0 else { return failure("cannot open its directory", errno) }
        defer { close(handle) }
        while fsync(handle) != 0 {
            let code = errno
            if code != EINTR { return failure("cannot flush its directory", code) }
        }
        return nil
    }

    private func failure(_ what: String, _ code: Int32) -> WippyError {
        WippyError.unavailable("write-ahead log \(path): \(what): \(String(cString: strerror(code))); the workflow store stops writing")
    }
}
