import Foundation
import GRDB
import Testing
import WippyCore
@testable import WippyStore

/// What `wippy workflow list|show` reads: event times, history sizes, run summaries, through a read-only
/// reader that creates nothing and works beside a writing store; and the schema bumps from versions 1 and 2
/// (migrated by a store, read as they are by a reader).
@Suite struct WorkflowStoreInspectionTests {
    @Test func eventsCarryTheirTimesAndRunsTheirHistorySize() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        var chosen = journalEvents(3, 3)
        chosen[0].time = 1_700_000_000_123
        try await store.write(.start(workflowRecord("timed"), events: journalEvents(1, 2)))
        try await store.write(WorkflowWrite(run: workflowRecord("timed").run, events: chosen))
        let after = Int64(Date().timeIntervalSince1970 * 1000)

        let run = try #require(try await store.load(workflowRecord("timed").run))
        #expect(run.events == journalEvents(1, 3))
        for event in run.events.prefix(2) {
            let time = try #require(event.time)
            #expect(time >= before && time <= after, "event \(event.seq) at \(time), written between \(before) and \(after)")
        }
        #expect(run.events[2].time == 1_700_000_000_123, "a time the engine chose is kept")

        let reader = try SQLiteWorkflowReader(path: path)
        defer { reader.close() }
        let summary = try #require(try reader.summaries(workflowID: "timed").first)
        #expect(summary.historyLength == 3)
        #expect(summary.historySize == UInt64(run.historySize))
        #expect(summary.historySize == UInt64(journalEvents(1, 3).reduce(0) { $0 + $1.kind.utf8.count + $1.key.utf8.count + $1.payload.count }))
        #expect(summary.createdAt >= before && summary.updatedAt <= after && summary.createdAt <= summary.updatedAt)
        #expect(summary.record == workflowRecord("timed"))
        #expect(try reader.load(workflowRecord("timed").run)?.events.map(\.time) == run.events.map(\.time))
    }

    @Test func readerFiltersByStatusAndReadsBesideAWritingStore() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        try await store.write(.start(workflowRecord("a"), events: journalEvents(1, 2)))
        try await store.write(.start(workflowRecord("b"), events: journalEvents(1, 1)))
        try await store.write(WorkflowWrite(run: workflowRecord("b").run, events: journalEvents(2, 2), status: .completed, result: [9]))
        try await store.write(.start(workflowRecord("c")))
        try await store.write(WorkflowWrite(run: workflowRecord("c").run, status: .blocked))

        let reader = try SQLiteWorkflowReader(path: path)
        defer { reader.close() }
        #expect(try reader.summaries().map(\.record.run.workflowID) == ["a", "b", "c"])
        #expect(try reader.summaries(statuses: [.completed, .blocked]).map(\.record.run.workflowID) == ["b", "c"])
        #expect(try reader.summaries(limit: 1).map(\.record.run.workflowID) == ["a"])
        #expect(try reader.summaries(workflowID: "b").first?.record.result == [9])
        #expect(try reader.summaries(workflowID: "nope").isEmpty)
        // The store keeps writing while the reader is open, and the reader sees each commit.
        try await store.write(WorkflowWrite(run: workflowRecord("a").run, events: journalEvents(3, 5)))
        #expect(try reader.summaries(workflowID: "a").first?.historyLength == 5)
        #expect(try reader.load(workflowRecord("a").run)?.events == journalEvents(1, 5))
    }

    @Test func readerCreatesNothingAndRefusesWhatIsNotAStore() throws {
        let dir = try TemporaryDirectory()
        let missing = dir.path + "/sub/workflows.db"
        do {
            _ = try SQLiteWorkflowReader(path: missing)
            Issue.record("opened a missing store")
        } catch {
            #expect(error.kind == .notFound)
        }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/sub"))
        try dir.write("empty.db", "")
        #expect(throws: WippyError.self) { try SQLiteWorkflowReader(path: dir.path + "/empty.db") }
        try dir.write("text.db", String(repeating: "not a database ", count: 100))
        #expect(throws: WippyError.self) { try SQLiteWorkflowReader(path: dir.path + "/text.db") }
    }

    @Test func readerReportsADamagedJournalWithRunAndSeq() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let store = try SQLiteWorkflowStore(path: path)
        try await store.write(.start(workflowRecord("victim"), events: journalEvents(1, 6)))
        store.close()
        try rawExecute(path, "DELETE FROM workflow_journal WHERE seq = 4")
        let reader = try SQLiteWorkflowReader(path: path)
        defer { reader.close() }
        #expect(try reader.summaries().first?.historyLength == 6)
        do {
            _ = try reader.load(workflowRecord("victim").run)
            Issue.record("a damaged journal loaded")
        } catch {
            #expect(error.message.contains("the journal of workflow victim (run r1) is damaged at seq 4: event 4 is missing"))
        }
    }

    // MARK: - Schema version 1

    /// A store file in the version 1 layout (no `time`, no `history_size`) with run `old` (events 1...3),
    /// checksummed as stores were then (SHA-256).
    static func makeVersion1Store(_ path: String) throws {
        let db = try rawConnection(path)
        try db.write { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(
                sql: """
                    CREATE TABLE workflow_metadata (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE workflow_runs (
                        id INTEGER PRIMARY KEY NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL,
                        entry TEXT NOT NULL, entry_kind TEXT NOT NULL, registry_version INTEGER NOT NULL,
                        input BLOB NOT NULL, status TEXT NOT NULL, result BLOB, last_seq INTEGER NOT NULL,
                        created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, UNIQUE (workflow_id, run_id));
                    CREATE INDEX workflow_runs_status ON workflow_runs (status);
                    CREATE TABLE workflow_journal (
                        run INTEGER NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
                        payload BLOB NOT NULL, checksum INTEGER NOT NULL, PRIMARY KEY (run, seq)) WITHOUT ROWID;
                    INSERT INTO workflow_metadata (key, value) VALUES ('schema_version', '1');
                    INSERT INTO workflow_runs VALUES (1, 'old', 'r1', 'app:order_saga', 'workflow.lua', 7, X'010203',
                        'running', NULL, 3, 1000, 2000);
                    """)
            let run = workflowRecord("old").run
            for event in journalEvents(1, 3) {
                try db.execute(
                    sql: "INSERT INTO workflow_journal VALUES (1, ?, ?, ?, ?, ?)",
                    arguments: [
                        Int64(event.seq), event.kind, event.key, Data(event.payload),
                        JournalChecksum.legacy(run, seq: event.seq, kind: event.kind, key: event.key, payload: event.payload),
                    ])
            }
        }
        try db.close()
    }

    static let version1Size = UInt64(journalEvents(1, 3).reduce(0) { $0 + $1.byteSize })

    @Test func aReaderReadsAVersion1FileWithoutMigratingIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        try Self.makeVersion1Store(path)
        let reader = try SQLiteWorkflowReader(path: path)
        let summary = try #require(try reader.summaries().first)
        #expect(summary.historyLength == 3 && summary.historySize == Self.version1Size)
        let run = try #require(try reader.load(workflowRecord("old").run))
        #expect(run.events == journalEvents(1, 3))
        #expect(run.events.allSatisfy { $0.time == nil })
        reader.close()
        #expect(try rawFetch(path, "SELECT value FROM workflow_metadata WHERE key = 'schema_version'") == "1")
    }

    @Test func aStoreMigratesAVersion1File() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        try Self.makeVersion1Store(path)
        let store = try SQLiteWorkflowStore(path: path)
        #expect(try rawFetch(path, "SELECT value FROM workflow_metadata WHERE key = 'schema_version'") == "4")
        let loaded = try #require(try await store.load(workflowRecord("old").run))
        #expect(loaded.events == journalEvents(1, 3))
        #expect(loaded.events.allSatisfy { $0.time == nil }, "events written before times were kept have none")
        // The migrated run goes on: new events get times, its size grows from the computed one.
        try await store.write(WorkflowWrite(run: workflowRecord("old").run, events: journalEvents(4, 4), status: .completed))
        store.close()
        let reader = try SQLiteWorkflowReader(path: path)
        defer { reader.close() }
        let summary = try #require(try reader.summaries().first)
        #expect(summary.historyLength == 4)
        #expect(summary.historySize == Self.version1Size + UInt64(journalEvents(4, 4)[0].byteSize))
        #expect(summary.record.status == .completed)
        let events = try #require(try reader.load(workflowRecord("old").run)?.events)
        #expect(events.map { $0.time == nil } == [true, true, true, false])
    }

    @Test func aNewerSchemaIsRefusedClearly() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        try Self.makeVersion1Store(path)
        try rawExecute(path, "UPDATE workflow_metadata SET value = '9' WHERE key = 'schema_version'")
        #expect(openError(path)?.contains("schema version 9 is not supported (this build reads version 4)") == true)
        #expect(throws: WippyError.self) { try SQLiteWorkflowReader(path: path) }
    }

    // MARK: - Schema version 2

    /// A store file in the version 2 layout (times and history sizes, no timer column, no signal table)
    /// with run `old` (events 1...3, stored at 1000, 1001 and 1002).
    static func makeVersion2Store(_ path: String) throws {
        try makeVersion1Store(path)
        try rawExecute(
            path,
            """
            ALTER TABLE workflow_runs ADD COLUMN history_size INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE workflow_journal ADD COLUMN time INTEGER;
            UPDATE workflow_runs SET history_size = \(version1Size);
            UPDATE workflow_journal SET time = 999 + seq;
            UPDATE workflow_metadata SET value = '2' WHERE key = 'schema_version';
            """)
    }

    @Test func aReaderReadsAVersion2FileWithoutMigratingIt() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        try Self.makeVersion2Store(path)
        let reader = try SQLiteWorkflowReader(path: path)
        let summary = try #require(try reader.summaries().first)
        #expect(summary.historyLength == 3 && summary.historySize == Self.version1Size)
        let run = try #require(try reader.load(workflowRecord("old").run))
        #expect(run.events.map(\.time) == [1000, 1001, 1002])
        reader.close()
        #expect(try rawFetch(path, "SELECT value FROM workflow_metadata WHERE key = 'schema_version'") == "2")
    }

    @Test func aStoreMigratesAVersion2FileAndItsRunsTakeSignalsAndTimers() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        try Self.makeVersion2Store(path)
        let store = try SQLiteWorkflowStore(path: path)
        #expect(try rawFetch(path, "SELECT value FROM workflow_metadata WHERE key = 'schema_version'") == "4")
        let run = workflowRecord("old").run
        let loaded = try #require(try await store.load(run))
        #expect(loaded.events == journalEvents(1, 3))
        #expect(loaded.events.map(\.time) == [1000, 1001, 1002], "times written under version 2 are kept")
        #expect(try await store.dueRuns().isEmpty, "a migrated run has no timer until a write sets one")

        // The migrated run takes a signal and sets a timer, as a run of a new file does.
        let id = try await store.signal(workflowID: "old", topic: "approve", sender: "{app@host|sender}", payload: [7])
        #expect(try await store.pendingSignals(workflowID: "old").map(\.id) == [id])
        try await store.write(
            WorkflowWrite(run: run, events: journalEvents(4, 4, kind: "signal"), wake: .at(milliseconds: 5000), takeSignals: [id]))
        #expect(try await store.pendingSignals(workflowID: "old").isEmpty)
        #expect(try await store.dueRuns(before: 5000) == [WorkflowDueRun(run: run, wakeAt: 5000)])
        store.close()

        let reader = try SQLiteWorkflowReader(path: path)
        defer { reader.close() }
        let summary = try #require(try reader.summaries().first)
        #expect(summary.historyLength == 4)
        #expect(summary.historySize == Self.version1Size + UInt64(journalEvents(4, 4, kind: "signal")[0].byteSize))
    }

    // MARK: - Schema version 3

    /// A store file in the version 3 layout (the journal clustered by run, WITHOUT ROWID): a version 2 file
    /// with the timer column and the signal table added.
    static func makeVersion3Store(_ path: String) throws {
        try makeVersion2Store(path)
        try rawExecute(
            path,
            """
            ALTER TABLE workflow_runs ADD COLUMN wake_at INTEGER;
            CREATE TABLE workflow_signals (
                id INTEGER PRIMARY KEY AUTOINCREMENT, workflow_id TEXT NOT NULL, topic TEXT NOT NULL,
                sender TEXT NOT NULL, payload BLOB NOT NULL, created_at INTEGER NOT NULL);
            UPDATE workflow_metadata SET value = '3' WHERE key = 'schema_version';
            """)
    }

    @Test func aStoreMigratesAVersion3FileToTheJournalInWriteOrder() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        try Self.makeVersion3Store(path)
        #expect(try rawFetch(path, "SELECT sql FROM sqlite_master WHERE name = 'workflow_journal'")?.contains("WITHOUT ROWID") == true)
        let reader = try SQLiteWorkflowReader(path: path)
        #expect(try reader.load(workflowRecord("old").run)?.events == journalEvents(1, 3))
        reader.close()

        let store = try SQLiteWorkflowStore(path: path)
        #expect(try rawFetch(path, "SELECT value FROM workflow_metadata WHERE key = 'schema_version'") == "4")
        #expect(try rawFetch(path, "SELECT sql FROM sqlite_master WHERE name = 'workflow_journal'")?.contains("WITHOUT ROWID") == false)
        #expect(try rawFetch(path, "SELECT name FROM sqlite_master WHERE name = 'workflow_journal_run_seq'") == "workflow_journal_run_seq")
        let run = workflowRecord("old").run
        let loaded = try #require(try await store.load(run))
        #expect(loaded.events == journalEvents(1, 3))
        #expect(loaded.events.map(\.time) == [1000, 1001, 1002])
        // The journal goes on; a repeated seq is still refused.
        try await store.write(WorkflowWrite(run: run, events: journalEvents(4, 5)))
        do {
            try await store.write(WorkflowWrite(run: run, events: journalEvents(5, 5)))
            Issue.record("a repeated seq was written")
        } catch {
            #expect(error.kind == .conflict)
        }
        #expect(try await store.load(run)?.events == journalEvents(1, 5))
        store.close()
    }
}
