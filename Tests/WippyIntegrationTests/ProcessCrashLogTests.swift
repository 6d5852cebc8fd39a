import Foundation
import Testing

/// A process that fails with nobody watching (no monitor, no link, not a function call) is logged with its
/// PID and error, so that a crash is never silent; a process that ends normally is not.
@Suite struct ProcessCrashLogTests {
    @Test func anUnwatchedCrashIsLogged() async throws {
        let project = try TemporaryProject(files: [
            "src/_index.yaml": """
                version: "1.0"
                namespace: app
                entries:
                  - name: workers
                    kind: process.host
                    lifecycle: {auto_start: true}
                  - name: main
                    kind: process.lua
                    source: |
                      return { main = function()
                        process.spawn("app:fine", "app:workers")
                        process.spawn("app:crasher", "app:workers", "the disk is full")
                        process.inbox():receive()
                      end }
                  - name: main.service
                    kind: process.service
                    process: app:main
                    host: app:workers
                    lifecycle: {auto_start: true}
                  - name: crasher
                    kind: process.lua
                    source: |
                      return { main = function(reason) error("worker gave up: " .. reason) end }
                  - name: fine
                    kind: process.lua
                    source: |
                      return { main = function() return 0 end }
                """
        ])
        let run = try RunningWippy(["run"], in: project.root)
        defer { run.signal(SIGTERM) }
        #expect(await run.waitFor("crashed", within: .seconds(30)), "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        let lines = run.stdout.split(separator: "\n").filter { $0.contains("crashed") }
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("worker gave up: the disk is full") == true, "\(lines)")
        #expect(lines.first?.contains("{app:workers|") == true, "\(lines)")
    }
}
