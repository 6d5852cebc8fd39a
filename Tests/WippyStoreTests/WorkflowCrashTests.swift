import Foundation
import Synchronization
import Testing
import WippyCore
@testable import WippyStore

#if canImport(Glibc)
import Glibc
#endif

/// A process killed with SIGKILL while workflows append to their journals loses no acknowledged event, and
/// leaves every journal whole and loadable (issue 8, item 5).
@Suite struct WorkflowCrashTests {
    static let workflows = 100

    static func payload(_ workflow: Int, _ seq: UInt64) -> [UInt8] { Array("wf-\(workflow) step \(seq)".utf8) }

    @Test func killedWhileAppendingKeepsEveryAcknowledgedEvent() async throws {
        if let path = CrashChild.argument {
            try await Self.appendForever(path: path)
            return
        }
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        var previous = Array(repeating: UInt64(0), count: Self.workflows)
        for round in 0..<3 {
            let child = try CrashChild(
                test: "killedWhileAppendingKeepsEveryAcknowledgedEvent", argument: path, log: dir.path + "/child\(round).log")
            // Wait for the first acknowledgements (starting the test binary takes a moment), then kill at a
            // random moment.
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(120)
            while child.isRunning && !child.output.contains("acked ") && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 20...200)))
            let running = child.isRunning
            child.kill()
            let output = child.output
            var acked = Array(repeating: UInt64(0), count: Self.workflows)
            for line in output.split(separator: "\n") where line.hasPrefix("acked ") {
                let parts = line.split(separator: " ")
                guard parts.count == 3, let workflow = Int(parts[1]), let seq = UInt64(parts[2]), workflow < Self.workflows else { continue }
                acked[workflow] = max(acked[workflow], seq)
            }
            guard running, acked.contains(where: { $0 > 0 }) else {
                Issue.record("round \(round): the child ended on its own or acknowledged nothing:\n\(output.suffix(2000))")
                return
            }
            let store = try SQLiteWorkflowStore(path: path)
            defer { store.close() }
            var stored = Array(repeating: UInt64(0), count: Self.workflows)
            for workflow in 0..<Self.workflows {
                let run = try await store.load(workflowRecord("wf-\(workflow)").run)
                let events = run?.events ?? []
                stored[workflow] = run?.lastSeq ?? 0
                #expect(
                    stored[workflow] >= acked[workflow],
                    "round \(round): wf-\(workflow) acknowledged up to \(acked[workflow]) but holds \(stored[workflow])")
                #expect(
                    events.allSatisfy { $0.payload == Self.payload(workflow, $0.seq) }, "round \(round): wf-\(workflow) payloads")
            }
            #expect(stored.reduce(0, +) > previous.reduce(0, +), "round \(round): no progress")
            previous = stored
        }
    }

    /// In the child: every workflow appends one event at a time (the next from the completion of the one
    /// before) and reports each acknowledgement on standard output, unbuffered.
    static func appendForever(path: String) async throws {
        let start = ContinuousClock.now
        _ = CrashChild.parent
        let store = try SQLiteWorkflowStore(path: path)
        var next: [UInt64] = []
        for workflow in 0..<workflows {
            let record = workflowRecord("wf-\(workflow)")
            if let run = try await store.load(record.run) {
                next.append(run.lastSeq + 1)
            } else {
                try await store.write(.start(record))
                next.append(1)
            }
        }
        @Sendable func step(_ workflow: Int, _ seq: UInt64) {
            let event = JournalEvent(seq: seq, kind: "call_result", key: "app:step", payload: payload(workflow, seq))
            store.submit(WorkflowWrite(run: workflowRecord("wf-\(workflow)").run, events: [event])) { result in
                guard case .success = result else {
                    let line = "failed \(workflow) \(seq): \(result)\n"
                    _ = line.withCString { write(1, $0, strlen($0)) }
                    return
                }
                let line = "acked \(workflow) \(seq)\n"
                _ = line.withCString { write(1, $0, strlen($0)) }
                step(workflow, seq + 1)
            }
        }
        for workflow in 0..<workflows { step(workflow, next[workflow]) }
        // Until killed (or the parent is gone).
        while CrashChild.parentWaits(since: start) { try await Task.sleep(for: .milliseconds(100)) }
    }
}
