import Foundation
import Testing
import WippyCore
@testable import WippyStore

/// No step cap: a run with a very long journal is written and loaded whole, checked (issue 8, item 5).
@Suite struct WorkflowLongHistoryTests {
    /// Events per test run; `WIPPY_LONG_HISTORY_EVENTS` overrides it (the benchmark sets 1 000 000).
    static let eventCount = ProcessInfo.processInfo.environment["WIPPY_LONG_HISTORY_EVENTS"].flatMap { UInt64($0) } ?? 50_000

    @Test func aLongJournalIsWrittenInBatchesAndLoadedWhole() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let total = WorkflowLongHistoryTests.eventCount
        let batch: UInt64 = 5_000
        let record = workflowRecord("long")
        let started = ContinuousClock.now
        do {
            let store = try SQLiteWorkflowStore(path: path)
            let writes = Int((total + batch - 1) / batch)
            let tally = CompletionTally(count: writes + 1)
            store.submit(.start(record), completion: tally.completion(0))
            // Submitted without waiting, in order: the writer groups them as they queue.
            for index in 0..<writes {
                let first = UInt64(index) * batch + 1
                let events = (first...min(first + batch - 1, total)).map { seq in
                    JournalEvent(seq: seq, kind: "call", key: "app:step", payload: Array("result \(seq)".utf8))
                }
                store.submit(WorkflowWrite(run: record.run, events: events), completion: tally.completion(index + 1))
            }
            try await tally.waitAll(timeout: .seconds(600))
            #expect((0...writes).allSatisfy { tally.succeeded($0) })
            store.close()
        }
        let written = ContinuousClock.now
        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        let run = try #require(try await store.load(record.run))
        let loaded = ContinuousClock.now
        #expect(run.events.count == Int(total))
        #expect(run.lastSeq == total)
        var contiguous = true
        for (index, event) in run.events.enumerated() where event.seq != UInt64(index + 1) || event.payload != Array("result \(event.seq)".utf8) {
            contiguous = false
            break
        }
        #expect(contiguous)
        print("long history: \(total) events written in \(written - started), loaded and checked in \(loaded - written)")
    }
}
