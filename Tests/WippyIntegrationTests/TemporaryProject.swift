import Foundation
import WippyTestSupport

/// A throwaway project directory for CLI tests, removed when the test process exits (``TemporaryPaths``):
/// not on release, which can come before a `wippy` child process started in it is done.
final class TemporaryProject {
    let root: String

    init(files: [String: String], lock: Bool = true) throws {
        root = TemporaryPaths.unique("wippy-cli-")
        try FileManager.default.createDirectory(atPath: root + "/src", withIntermediateDirectories: true)
        if lock { try write("wippy.lock", "directories:\n    modules: .wippy\n    src: ./src\n") }
        for (path, text) in files { try write(path, text) }
    }

    func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// A project with a terminal host and one process entry `app:main` whose source is `lua`, importing
    /// `modules`.
    static func withMain(_ lua: String, modules: [String] = [], extraEntries: String = "") throws -> TemporaryProject {
        let moduleLine = modules.isEmpty ? "" : "\n    modules: [\(modules.joined(separator: ", "))]"
        return try TemporaryProject(files: [
            "src/_index.yaml": """
                version: "1.0"
                namespace: app
                entries:
                  - name: terminal
                    kind: terminal.host
                    lifecycle: {auto_start: true}
                  - name: main
                    kind: process.lua
                    source: file://main.lua\(moduleLine)
                \(extraEntries)
                """,
            "src/main.lua": lua,
        ])
    }
}
