import Dispatch
import Foundation
import GRDB
import Synchronization
import Testing
import WippyCore
@testable import WippyStore

/// One writer per store commits every pending write in one transaction, and acknowledges a write only once
/// it is durable (issue 8, items 5 and 6: SQLite and PostgreSQL).
@Suite struct WorkflowGroupCommitTests {
    @Test(arguments: StoreKind.allCases)
    func concurrentSubmittersShareCommitsAndEveryWriteIsAcknowledgedOnce(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = try fixture.open()
        let workflows = 1000
        let writesPerWorkflow = 4  // the start with event 1, then events 2, 3 and 4 one write each
        let tally = CompletionTally(count: workflows * writesPerWorkflow)
        let threads = 8
        // Several threads submit at once; each submits its workflows' writes in sequence order without
        // waiting for them (the queue keeps a submitter's order).
        let submitted = DispatchGroup()
        for thread in 0..<threads {
            let worker = Thread {
                for workflow in stride(from: thread, to: workflows, by: threads) {
                    let record = workflowRecord("wf-\(workflow)")
                    let base = workflow * writesPerWorkflow
                    store.submit(.start(record, events: journalEvents(1, 1)), completion: tally.completion(base))
                    for seq in 2...UInt64(writesPerWorkflow) {
                        store.submit(
                            WorkflowWrite(run: record.run, events: journalEvents(seq, seq)),
                            completion: tally.completion(base + Int(seq) - 1))
                    }
                }
                submitted.leave()
            }
            submitted.enter()
            worker.start()
        }
        try await tally.waitAll()
        #expect(tally.calls == Array(repeating: 1, count: workflows * writesPerWorkflow))
        let failures = (0..<workflows * writesPerWorkflow).compactMap { tally.error($0) }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        let stats = store.stats
        #expect(stats.items == workflows * writesPerWorkflow)
        #expect(stats.events == workflows * writesPerWorkflow)
        // Grouped: far fewer commits than writes (one commit per write would be 4 000 fsyncs).
        #expect(stats.commits * 10 <= stats.items, "\(stats)")
        store.close()

        let reopened = try fixture.open()
        defer { reopened.close() }
        for workflow in 0..<workflows {
            let run = try #require(try await reopened.load(workflowRecord("wf-\(workflow)").run))
            #expect(run.events == journalEvents(1, UInt64(writesPerWorkflow)), "wf-\(workflow)")
        }
        #expect(try await fixture.fetch("SELECT CAST(count(*) AS TEXT) FROM \(fixture.table("journal"))") == String(workflows * writesPerWorkflow))
    }

    @Test func aWriteIsAcknowledgedOnlyOnceAnotherConnectionSeesIt() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        try await store.write(.start(workflowRecord("setup")))
        // An independent connection, opened before the writes: what it reads is what is committed.
        let observer = try rawConnection(path)
        let count = 300
        let seen = Mutex<[Int: (runs: Int, events: Int)]>([:])
        let tally = CompletionTally(count: count)
        for index in 0..<count {
            let record = workflowRecord("durable-\(index)")
            store.submit(
                .start(record, events: journalEvents(1, 3)),
                completion: tally.completion(index) { _ in
                    let found = try? observer.read { db -> (Int, Int) in
                        let runs = try Int.fetchOne(
                            db, sql: "SELECT count(*) FROM workflow_runs WHERE workflow_id = ?", arguments: [record.run.workflowID]) ?? 0
                        let events = try Int.fetchOne(
                            db,
                            sql: """
                                SELECT count(*) FROM workflow_journal
                                WHERE run = (SELECT id FROM workflow_runs WHERE workflow_id = ?)
                                """,
                            arguments: [record.run.workflowID]) ?? 0
                        return (runs, events)
                    }
                    seen.withLock { $0[index] = found ?? (-1, -1) }
                })
        }
        try await tally.waitAll()
        let observed = seen.withLock { $0 }
        #expect(observed.count == count)
        for index in 0..<count {
            #expect(tally.succeeded(index))
            #expect(observed[index]?.runs == 1 && observed[index]?.events == 3, "durable-\(index): \(String(describing: observed[index]))")
        }
    }
}
