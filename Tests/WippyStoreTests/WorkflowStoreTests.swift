import Dispatch
import Foundation
import GRDB
import Testing
import WippyCore
@testable import WippyStore

/// The workflow store contract, on SQLite and on PostgreSQL: runs and journals round-trip, survive a reopen,
/// and only continuations of a journal are accepted (issue 8, items 5 and 6).
@Suite struct WorkflowStoreTests {
    @Test(arguments: StoreKind.allCases)
    func aRunAndItsJournalRoundTripAndSurviveAReopen(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let record = workflowRecord("order-1", input: Array("{\"order\":1}".utf8))
        var stored = record
        do {
            let store = try fixture.open()
            try await store.write(.start(record, events: journalEvents(1, 3)))
            try await store.write(WorkflowWrite(run: record.run, events: journalEvents(4, 4, kind: "timer")))
            try await store.write(WorkflowWrite(run: record.run, events: [
                JournalEvent(seq: 5, kind: "signal", key: "approve", payload: []),
                JournalEvent(seq: 6, kind: "bytes", key: "", payload: [0, 0xff, 0, 10]),
            ]))
            try await store.write(WorkflowWrite(run: record.run, status: .completed, result: [42]))
            stored.status = .completed
            stored.result = [42]
            let loaded = try #require(try await store.load(record.run))
            #expect(loaded.record == stored)
            #expect(loaded.events.map(\.seq) == Array(1...6))
            store.close()
        }
        let reopened = try fixture.open()
        defer { reopened.close() }
        let loaded = try #require(try await reopened.load(record.run))
        #expect(loaded.record == stored)
        let expected = journalEvents(1, 3) + journalEvents(4, 4, kind: "timer") + [
            JournalEvent(seq: 5, kind: "signal", key: "approve", payload: []),
            JournalEvent(seq: 6, kind: "bytes", key: "", payload: [0, 0xff, 0, 10]),
        ]
        #expect(loaded.events == expected)
        #expect(try await reopened.load(WorkflowRunID(workflowID: "order-1", runID: "r2")) == nil)
        #expect(try await reopened.load(WorkflowRunID(workflowID: "nobody", runID: "r1")) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func runsAreListedByStatusOldestFirst(_ kind: StoreKind) async throws {
        let store = try await StoreFixture(kind).open()
        defer { store.close() }
        for name in ["a", "b", "c", "d"] { try await store.write(.start(workflowRecord(name), events: journalEvents(1, 1))) }
        try await store.write(WorkflowWrite(run: workflowRecord("b").run, status: .completed, result: [1]))
        try await store.write(WorkflowWrite(run: workflowRecord("d").run, status: .blocked))
        #expect(try await store.list().map(\.run.workflowID) == ["a", "b", "c", "d"])
        #expect(try await store.list(statuses: [.running]).map(\.run.workflowID) == ["a", "c"])
        #expect(try await store.list(statuses: [.running, .blocked], limit: 2).map(\.run.workflowID) == ["a", "c"])
        let completed = try await store.list(statuses: [.completed])
        #expect(completed.map(\.run.workflowID) == ["b"])
        #expect(completed.first?.result == [1])
    }

    /// The writer's commits do not flush (its syncer flushes the log before acknowledging them:
    /// ``WorkflowJournalSyncTests``); the checkpointer's connection keeps FULL, so the log is flushed before
    /// its pages are copied into the database.
    @Test func theDatabaseIsInWALModeAndTheWriterLeavesTheFlushToItsSyncer() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        try await store.write(.start(workflowRecord("w")))
        // The writer's connection decides durability: its settings are read through its own statements.
        #expect(try rawFetch(path, "PRAGMA journal_mode") == "wal")
        #expect(try store.writerPragma("synchronous") == "1")  // NORMAL
    }

    /// A start is not checked with a read on SQLite: the run's unique key refuses it, and only it.
    @Test(arguments: StoreKind.allCases)
    func aStartOfARunStoredBeforeAReopenIsRefusedAsExistingAndItsBatchCommits(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let a = workflowRecord("a")
        do {
            let store = try fixture.open()
            try await store.write(.start(a, events: journalEvents(1, 2)))
            store.close()
        }
        let store = try fixture.open()
        defer { store.close() }
        let (tally, commits) = try await submitAsOneBatch(store, [
            .start(workflowRecord("b"), events: journalEvents(1, 1)),
            .start(a, events: journalEvents(1, 1)),
            WorkflowWrite(run: a.run, events: journalEvents(3, 3)),
        ])
        #expect(commits == 1)
        #expect(tally.succeeded(0))
        #expect(tally.error(1)?.kind == .alreadyExists, "\(tally.error(1)?.message ?? "no error")")
        #expect(tally.succeeded(2), "\(tally.error(2)?.message ?? "")")
        #expect(try await store.load(a.run)?.events == journalEvents(1, 3))
        #expect(try await store.load(workflowRecord("b").run)?.events == journalEvents(1, 1))
    }

    @Test(arguments: StoreKind.allCases)
    func aBadItemFailsAloneAndTheRestOfItsBatchCommits(_ kind: StoreKind) async throws {
        let store = try await StoreFixture(kind).open()
        defer { store.close() }
        let a = workflowRecord("a")
        let done = workflowRecord("done")
        try await store.write(.start(a, events: journalEvents(1, 3)))
        try await store.write(.start(done, events: journalEvents(1, 1)))
        try await store.write(WorkflowWrite(run: done.run, status: .completed))

        let writes: [WorkflowWrite] = [
            WorkflowWrite(run: a.run, events: journalEvents(5, 5)),  // 0: a gap
            WorkflowWrite(run: a.run, events: journalEvents(3, 3)),  // 1: a duplicate
            WorkflowWrite(run: WorkflowRunID(workflowID: "a", runID: "r9"), events: journalEvents(1, 1)),  // 2: no such run
            .start(workflowRecord("b"), events: journalEvents(1, 2)),  // 3: fine
            WorkflowWrite(run: a.run, events: journalEvents(4, 5)),  // 4: fine
            .start(a, events: journalEvents(1, 1)),  // 5: the run exists
            WorkflowWrite(run: done.run, events: journalEvents(2, 2)),  // 6: the run is completed
            WorkflowWrite(run: a.run, events: [journalEvents(6, 6)[0], journalEvents(8, 8)[0]]),  // 7: a gap inside
            WorkflowWrite(run: a.run, events: journalEvents(6, 6), status: .paused),  // 8: fine, after 4
            {
                var write = WorkflowWrite.start(workflowRecord("c"))
                write.run = WorkflowRunID(workflowID: "c", runID: "other")  // 9: another run's record
                return write
            }(),
        ]
        let (tally, commits) = try await submitAsOneBatch(store, writes)
        #expect(commits == 1, "the queued writes were one batch")
        #expect(store.stats.largestBatch >= writes.count)
        #expect(tally.calls == Array(repeating: 1, count: writes.count))

        for index in [3, 4, 8] { #expect(tally.succeeded(index), "write \(index): \(tally.error(index)?.message ?? "")") }
        #expect(tally.error(0)?.message.contains("event 5 (call) leaves a gap; the next event must be 4") == true, "\(tally.error(0)?.message ?? "")")
        #expect(tally.error(1)?.message.contains("event 3 (call) is already in the journal or repeated") == true)
        #expect(tally.error(2)?.kind == .notFound)
        #expect(tally.error(2)?.message.contains("no run a/r9") == true)
        #expect(tally.error(5)?.kind == .alreadyExists)
        #expect(tally.error(6)?.message.contains("run done/r1 is completed") == true)
        #expect(tally.error(7)?.message.contains("event 8 (call) leaves a gap; the next event must be 7") == true)
        #expect(tally.error(9)?.message.contains("a write for c/other starts the run c/r1") == true)

        let loadedA = try #require(try await store.load(a.run))
        #expect(loadedA.events == journalEvents(1, 6))
        #expect(loadedA.record.status == .paused)
        #expect(try await store.load(workflowRecord("b").run)?.events == journalEvents(1, 2))
        #expect(try await store.load(done.run)?.events == journalEvents(1, 1))
        #expect(try await store.load(WorkflowRunID(workflowID: "c", runID: "other")) == nil)
        #expect(try await store.load(workflowRecord("c").run) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func closeCommitsWhatIsQueuedAndLaterWritesAreRefused(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = try fixture.open()
        let count = 200
        let tally = CompletionTally(count: count + 1)
        for index in 0..<count {
            store.submit(.start(workflowRecord("w\(index)"), events: journalEvents(1, 2)), completion: tally.completion(index))
        }
        store.close()
        // Every queued write was committed before close returned.
        #expect((0..<count).allSatisfy { tally.succeeded($0) })
        store.submit(.start(workflowRecord("late")), completion: tally.completion(count))
        #expect(tally.error(count)?.kind == .unavailable)
        try await tally.waitAll()
        #expect(tally.calls == Array(repeating: 1, count: count + 1))

        let reopened = try fixture.open()
        defer { reopened.close() }
        for index in 0..<count {
            #expect(try await reopened.load(workflowRecord("w\(index)").run)?.events == journalEvents(1, 2))
        }
        #expect(try await reopened.load(workflowRecord("late").run) == nil)
    }

    @Test(arguments: StoreKind.allCases)
    func aDatabaseErrorInOneItemFailsOnlyThatItem(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        do {
            let store = try fixture.open()
            try await store.write(.start(workflowRecord("a")))
            store.close()
        }
        // A trigger stands for an error only the database sees (a full disk, a constraint): it refuses one key.
        switch kind {
        case .sqlite:
            try await fixture.execute(
                """
                CREATE TRIGGER poison BEFORE INSERT ON workflow_journal WHEN NEW.key = 'poison'
                BEGIN SELECT RAISE(ABORT, 'poisoned event'); END
                """)
        case .postgres:
            try await fixture.execute(
                """
                CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.key = 'poison' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; END $$
                """,
                "CREATE TRIGGER poison BEFORE INSERT ON wippy_workflow_journal FOR EACH ROW EXECUTE FUNCTION poison()")
        }
        let store = try fixture.open()
        defer { store.close() }
        let a = workflowRecord("a").run
        let writes: [WorkflowWrite] = [
            WorkflowWrite(run: a, events: journalEvents(1, 2)),  // 0: fine
            .start(workflowRecord("b"), events: [JournalEvent(seq: 1, kind: "call"), JournalEvent(seq: 2, kind: "call", key: "poison")]),
            WorkflowWrite(run: a, events: journalEvents(3, 3)),  // 2: fine, after 0
            .start(workflowRecord("c"), events: journalEvents(1, 1)),  // 3: fine
        ]
        let (tally, commits) = try await submitAsOneBatch(store, writes)
        #expect(commits >= 2, "the batch was rolled back and written again item by item")
        #expect(tally.calls == [1, 1, 1, 1])
        for index in [0, 2, 3] { #expect(tally.succeeded(index), "write \(index): \(tally.error(index)?.message ?? "")") }
        #expect(tally.error(1)?.message.contains("poisoned event") == true, "\(tally.error(1)?.message ?? "no error")")
        #expect(tally.error(1)?.message.contains("b/r1") == true)
        // Nothing of the failed item was written, not even its run record or its first event.
        #expect(try await store.load(workflowRecord("b").run) == nil)
        #expect(try await store.load(a)?.events == journalEvents(1, 3))
        #expect(try await store.load(workflowRecord("c").run)?.events == journalEvents(1, 1))
        // The writer goes on.
        try await store.write(WorkflowWrite(run: a, events: journalEvents(4, 4)))
        #expect(try await store.load(a)?.events == journalEvents(1, 4))
    }

    @Test(arguments: StoreKind.allCases)
    func loadedEventsCarryTheTimeTheyWereStored(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let store = try fixture.open()
        defer { store.close() }
        var chosen = journalEvents(3, 3)
        chosen[0].time = 1_700_000_000_123
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        try await store.write(.start(workflowRecord("timed"), events: journalEvents(1, 2)))
        try await store.write(WorkflowWrite(run: workflowRecord("timed").run, events: chosen))
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        let run = try #require(try await store.load(workflowRecord("timed").run))
        #expect(run.events == journalEvents(1, 3))
        for event in run.events.prefix(2) {
            let time = try #require(event.time, "event \(event.seq) has no time")
            #expect(time >= before && time <= after, "event \(event.seq) at \(time), written between \(before) and \(after)")
        }
        #expect(run.events[2].time == 1_700_000_000_123, "a time the engine chose is kept")
    }
}
