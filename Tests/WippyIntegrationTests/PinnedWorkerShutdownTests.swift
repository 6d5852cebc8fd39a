import Foundation
import Testing

/// SIGTERM stops `wippy run` within the stop timeouts even while a process is deep in a pattern match that
/// backtracks for ever (a C call that Lua's own matcher would never leave).
@Suite struct PinnedWorkerShutdownTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true, stop_timeout: 1s}
          - name: matcher
            kind: process.lua
            source: |
              return { main = function()
                print("matching now")
                return ("a"):rep(1e6):find(".-.-.-.-b")
              end }
          - name: matcher.service
            kind: process.service
            process: matcher
            host: app:processes
            lifecycle: {auto_start: true, stop_timeout: 1s}
        """

    /// Generous for a runtime that stops in about the sum of its stop timeouts (2 s); a runtime that waits
    /// on a stuck worker only ends after its 30 s shutdown timeout.
    static let exitDeadline: TimeInterval = 15

    @Test func sigtermStopsTheRuntimeWhileAWorkerIsInALongMatch() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.project])
        let (process, out, _) = try WippyBinary.start(["run"], in: project.root)
        let (output, exitedInTime) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Self.signalWhenMatching(process, out)) }
        }
        #expect(output.contains("matching now"), "the matcher never started:\n\(output)")
        #expect(exitedInTime, "wippy run did not exit within \(Self.exitDeadline) s of SIGTERM:\n\(output)")
        #expect(process.terminationStatus == 0, "\(output)")
        withExtendedLifetime(project) {}
    }

    /// Reads the output until the matcher has started (or 30 s), sends SIGTERM, waits for the exit up to the
    /// deadline (then kills it). Returns the output and whether it exited by itself in time.
    static func signalWhenMatching(_ process: Process, _ out: Pipe) -> (String, Bool) {
        let collected = DataBox()
        let handle = out.fileHandleForReading
        let reader = DispatchGroup()
        reader.enter()
        let started = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            var data = Data()
            var signalled = false
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                data.append(chunk)
                collected.set(data)
                if !signalled && String(decoding: data, as: UTF8.self).contains("matching now") {
                    signalled = true
                    started.signal()
                }
            }
            reader.leave()
        }
        _ = started.wait(timeout: .now() + 30)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(exitDeadline)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let exitedInTime = !process.isRunning
        if !exitedInTime { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        _ = reader.wait(timeout: .now() + 10)
        return (String(decoding: collected.get(), as: UTF8.self), exitedInTime)
    }
}
