import Foundation
import WippyTestSupport

/// A project directory in the system temporary directory, removed by `remove()` when the test is done with
/// it, and in any case when the test process exits (``TemporaryPaths``).
struct TemporaryProject {
    /// Absolute path of the project root.
    let root: String

    init() throws {
        root = try TemporaryPaths.directory("wippy-project-tests-")
    }

    /// Creates a project, runs `body` with it and removes it afterwards.
    static func with<T>(_ body: (TemporaryProject) throws -> T) throws -> T {
        let project = try TemporaryProject()
        defer { project.remove() }
        return try body(project)
    }

    /// Writes a file (creating parent directories); `path` is relative to the root.
    func write(_ path: String, _ text: String) throws {
        let full = root + "/" + path
        let directory = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
    }

    /// Writes the standard lock file (`src: ./src`, `modules: .wippy`), plus `extra` lines.
    func writeLock(_ extra: String = "") throws {
        try write("wippy.lock", "directories:\n    modules: .wippy\n    src: ./src\n" + extra)
    }

    /// Reads a file relative to the root.
    func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// Whether a file or directory exists, relative to the root.
    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: root + "/" + path)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
