import Foundation
import Testing
import WippyTestSupport

/// What the tests register with ``TemporaryPaths`` is gone once the test process exits: a child process
/// running only this test makes a directory with a file in it and prints its path; the parent checks the
/// path after the child has exited.
@Suite struct TemporaryPathsTests {
    static let marker = "temporary path: "

    @Test func registeredPathsAreRemovedWhenTheProcessExits() async throws {
        if getenv(IsolatedChild.variable) != nil {
            let directory = try TemporaryPaths.directory("wippy-exit-probe-")
            try Data("kept until exit".utf8).write(to: URL(fileURLWithPath: directory + "/file.txt"))
            // Still there while the process runs: removal waits for the exit.
            #expect(FileManager.default.fileExists(atPath: directory + "/file.txt"))
            print(Self.marker + directory)
            return
        }
        let (status, output) = try await IsolatedChild.run(test: "registeredPathsAreRemovedWhenTheProcessExits")
        #expect(status == 0, "\(output)")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix(Self.marker) }, "no path in:\n\(output)")
        let path = String(line.dropFirst(Self.marker.count))
        #expect(path.contains("wippy-exit-probe-"), "\(path)")
        #expect(!FileManager.default.fileExists(atPath: path), "\(path) is still there after the child exited")
    }
}
