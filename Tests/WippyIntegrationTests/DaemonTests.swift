import Foundation
import Testing

/// `wippy run` without a command: services start, are supervised, and stop on SIGINT/SIGTERM.
@Suite struct DaemonTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: crasher
            kind: process.lua
            source: 'return { main = function() error("boom") end }'
          - name: once
            kind: process.lua
            source: 'return { main = function() return 1 end }'
          - name: waiter
            kind: process.lua
            source: |
              return { main = function()
                local events = process.events()
                while true do
                  local e = events:receive()
                  if e.kind == process.event.CANCEL then return 0 end
                end
              end }
          - name: crasher.service
            kind: process.service
            process: crasher
            host: app:processes
            lifecycle:
              auto_start: true
              restart: {initial_delay: 20ms, max_delay: 40ms}
          - name: once.service
            kind: process.service
            process: once
            host: app:processes
            lifecycle: {auto_start: true}
          - name: waiter.service
            kind: process.service
            process: waiter
            host: app:processes
            lifecycle: {auto_start: true}
          - name: manual.service
            kind: process.service
            process: waiter
            host: app:processes
        """

    /// Runs the daemon until `readyText` has shown up `occurrences` times and every text of `alsoWaitFor` once
    /// (hang guard: 60 s, for a loaded machine), sends `signal`, returns output and status.
    func runDaemon(
        until readyText: String, occurrences: Int = 1, alsoWaitFor: [String] = [], signal: Int32 = SIGINT
    ) async throws -> (String, Int32) {
        let project = try TemporaryProject(files: ["src/_index.yaml": DaemonTests.project])
        let (process, out, _) = try WippyBinary.start(["run"], in: project.root)
        // The reads block: do them on a Dispatch thread, not on the shared concurrency pool.
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: DaemonTests.collect(process, out, readyText, occurrences, alsoWaitFor, signal))
            }
        }
    }

    static func collect(
        _ process: Process, _ out: Pipe, _ readyText: String, _ occurrences: Int, _ others: [String], _ signal: Int32
    ) -> (String, Int32) {
        var collected = Data()
        let deadline = Date().addingTimeInterval(60)
        let handle = out.fileHandleForReading
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            collected.append(chunk)
            let text = String(decoding: collected, as: UTF8.self)
            if text.components(separatedBy: readyText).count - 1 >= occurrences, others.allSatisfy(text.contains) { break }
        }
        kill(process.processIdentifier, signal)
        collected.append(handle.readDataToEndOfFile())
        process.waitUntilExit()
        return (String(decoding: collected, as: UTF8.self), process.terminationStatus)
    }

    @Test func failingServiceRestartsNormalReturnDoesNot() async throws {
        let (output, status) = try await runDaemon(
            until: "service app:crasher.service is running", occurrences: 4, alsoWaitFor: ["service app:once.service is exited"])
        #expect(status == 0)
        let crashes = output.components(separatedBy: "service app:crasher.service is failed").count - 1
        #expect(crashes >= 3)
        // At most once: a process that returns at once may end before its start is reported, and then the
        // service goes from starting (not logged) to exited.
        #expect(output.components(separatedBy: "service app:once.service is running").count - 1 <= 1)
        #expect(output.components(separatedBy: "service app:once.service is exited").count - 1 == 1)
        #expect(!output.contains("app:manual.service"))
    }

    @Test func sigtermStopsGracefully() async throws {
        let (output, status) = try await runDaemon(until: "runtime ready", signal: SIGTERM)
        #expect(status == 0)
        #expect(output.contains("service app:waiter.service is stopped"))
    }
}
