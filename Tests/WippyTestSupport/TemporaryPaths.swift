import Foundation
import Synchronization

/// Files and directories the tests make in the system temporary directory, removed when the test process
/// exits.
///
/// Removal at exit rather than when a helper object is released: Swift may release an object right after
/// its last use, which can come before an `await` (or a child `wippy` process) that still reads the path.
/// Helpers that know when they are done still remove their paths themselves; this list catches the rest,
/// so that a run of the suite leaves nothing behind in `/tmp`. A process killed by a signal skips it.
public enum TemporaryPaths {
    private static let registered = Mutex<[String]>([])

    /// Installs the exit handler once, on first use.
    private static let exitHandler: Void = {
        atexit { TemporaryPaths.removeAll() }
    }()

    /// Adds `path` to what goes when the process exits; removing it earlier is fine.
    public static func register(_ path: String) {
        _ = exitHandler
        registered.withLock { $0.append(path) }
    }

    /// A new, unique, registered path in the temporary directory: `<prefix><uuid>`. Nothing is created.
    public static func unique(_ prefix: String) -> String {
        let path = NSTemporaryDirectory() + prefix + UUID().uuidString
        register(path)
        return path
    }

    /// Creates a new, unique, registered directory in the temporary directory and returns its path.
    public static func directory(_ prefix: String) throws -> String {
        let path = unique(prefix)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Removes every registered path that still exists.
    static func removeAll() {
        let paths = registered.withLock { paths in
            defer { paths.removeAll() }
            return paths
        }
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}
