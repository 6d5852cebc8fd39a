import Foundation
import PostgresNIO
import Synchronization
import Testing
import WippyCore
import WippyTestSupport
@testable import WippyStore

/// What is particular to the PostgreSQL store: a damaged journal is reported with the run and the seq,
/// group commit under a thousand writers that each wait for their acknowledgement, the set-up's checks
/// (issue 8, item 6). The contract it shares with SQLite is tested in ``WorkflowStoreTests``,
/// ``WorkflowGroupCommitTests`` and ``WorkflowSignalStoreTests``.
@Suite struct PostgresWorkflowStoreTests {
    /// A store with `victim` (events 1...10) and `bystander` (events 1...4); runs `sql` beside it, then loads
    /// `victim` and returns the error message.
    static func loadAfter(_ sql: String) async throws -> String? {
        let settings = try await PostgresTestServer.freshSchema()
        let store = try PostgresWorkflowStore(settings: settings)
        defer { store.close() }
        try await store.write(.start(workflowRecord("victim"), events: journalEvents(1, 10)))
        try await store.write(.start(workflowRecord("bystander"), events: journalEvents(1, 4)))
        try await PostgresTestServer.execute(settings, sql)
        #expect(try await store.load(workflowRecord("bystander").run)?.events == journalEvents(1, 4))
        do {
            let run = try await store.load(workflowRecord("victim").run)
            Issue.record("the damaged journal loaded: \(run?.events.count ?? -1) events")
            return nil
        } catch {
            #expect(error.kind == .invalid)
            return error.message
        }
    }

    static let victim = "(SELECT id FROM wippy_workflow_runs WHERE workflow_id = 'victim')"

    func expectDamage(_ message: String?, seq: UInt64, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(message?.contains("workflow victim (run r1) is damaged at seq \(seq)") == true, "\(message ?? "")", sourceLocation: sourceLocation)
        #expect(message?.contains(problem) == true, "\(message ?? "")", sourceLocation: sourceLocation)
        #expect(message?.contains("workflow store postgres://") == true, "\(message ?? "")", sourceLocation: sourceLocation)
    }

    @Test func aDamagedJournalIsReportedWithTheRunAndTheSeq() async throws {
        expectDamage(
            try await Self.loadAfter(
                "UPDATE wippy_workflow_journal SET payload = convert_to('pbyload 5', 'UTF8') WHERE run = \(Self.victim) AND seq = 5"),
            seq: 5, "does not match its checksum")
        expectDamage(
            try await Self.loadAfter("UPDATE wippy_workflow_journal SET kind = 'timer' WHERE run = \(Self.victim) AND seq = 2"),
            seq: 2, "does not match its checksum")
        expectDamage(
            try await Self.loadAfter("DELETE FROM wippy_workflow_journal WHERE run = \(Self.victim) AND seq = 6"),
            seq: 6, "event 6 is missing")
        expectDamage(
            try await Self.loadAfter("DELETE FROM wippy_workflow_journal WHERE run = \(Self.victim) AND seq >= 9"),
            seq: 9, "the journal ends early: events 9 to 10 are missing")
    }

    @Test func aThousandWritersWaitingForTheirAcknowledgementShareCommits() async throws {
        let store = try PostgresWorkflowStore(settings: try await PostgresTestServer.freshSchema())
        defer { store.close() }
        let writers = 1000
        let steps: UInt64 = 3
        // Each writer is a workflow: it starts, then appends its next step only once the previous one is durable.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<writers {
                group.addTask {
                    let record = workflowRecord("writer-\(index)")
                    try await store.write(.start(record, events: journalEvents(1, 1), owner: "node-1"))
                    for seq in 2...steps {
                        try await store.write(
                            WorkflowWrite(run: record.run, events: journalEvents(seq, seq), fence: WorkflowFence(owner: "node-1", generation: 1)))
                    }
                }
            }
            try await group.waitForAll()
        }
        let stats = store.stats
        #expect(stats.items == writers * Int(steps))
        #expect(stats.failedItems == 0)
        #expect(stats.commits * 5 <= stats.items, "\(stats)")
        for index in stride(from: 0, to: writers, by: 97) {
            #expect(try await store.load(workflowRecord("writer-\(index)").run)?.events == journalEvents(1, steps))
        }
    }

    @Test func tablesOfAnotherSchemaVersionAreRefusedAtOpen() async throws {
        let settings = try await PostgresTestServer.freshSchema()
        try PostgresWorkflowStore(settings: settings).close()
        try await PostgresTestServer.execute(settings, "UPDATE wippy_workflow_metadata SET value = '99' WHERE key = 'schema_version'")
        #expect(throws: WippyError.self) { try PostgresWorkflowStore(settings: settings) }
        do {
            _ = try PostgresWorkflowStore(settings: settings)
        } catch {
            #expect(error.message.contains("schema version 99 is not supported"), "\(error.message)")
            #expect(error.message.contains(settings.description), "\(error.message)")
        }
    }

    /// A version-2 store could hold two open runs of one workflow ID; the move to version 3 (one open run
    /// per ID) keeps the oldest open and terminates the others instead of failing to build its index.
    @Test func aVersion2StoreWithTwoOpenRunsOfOneIDMigrates() async throws {
        let settings = try await PostgresTestServer.freshSchema()
        let store = try PostgresWorkflowStore(settings: settings)
        let record = workflowRecord("twice", run: "first")
        try await store.write(.start(record, events: journalEvents(1, 1), owner: "node-1"))
        store.close()
        // Back to version 2, with the duplicate its race could leave.
        try await PostgresTestServer.execute(settings, "DROP INDEX wippy_workflow_runs_one_open")
        try await PostgresTestServer.execute(settings, """
            INSERT INTO wippy_workflow_runs (workflow_id, run_id, entry, entry_kind, registry_version, input, status, last_seq)
            SELECT workflow_id, 'second', entry, entry_kind, registry_version, input, status, last_seq
            FROM wippy_workflow_runs WHERE workflow_id = 'twice'
            """)
        try await PostgresTestServer.execute(settings, "UPDATE wippy_workflow_metadata SET value = '2' WHERE key = 'schema_version'")
        let migrated = try PostgresWorkflowStore(settings: settings)
        defer { migrated.close() }
        #expect(try await PostgresTestServer.fetch(settings, "SELECT value FROM wippy_workflow_metadata WHERE key = 'schema_version'") == "3")
        #expect(try await PostgresTestServer.fetch(settings, "SELECT status FROM wippy_workflow_runs WHERE run_id = 'first'") == "running")
        #expect(try await PostgresTestServer.fetch(settings, "SELECT status FROM wippy_workflow_runs WHERE run_id = 'second'") == "terminated")
        #expect(try await PostgresTestServer.fetch(
            settings, "SELECT count(*)::text FROM pg_indexes WHERE indexname = 'wippy_workflow_runs_one_open' AND schemaname = current_schema()") == "1")
    }

    @Test func anUnreachableServerIsReportedAtOpen() throws {
        // A port nothing listens on: the loopback refuses at once.
        let settings = PostgresConnectionSettings(host: "127.0.0.1", port: 1, database: "nowhere", username: "nobody")
        do {
            _ = try PostgresWorkflowStore(settings: settings)
            Issue.record("opened a store on a closed port")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("workflow store postgres://nobody@127.0.0.1:1/nowhere: cannot open"), "\(error.message)")
        }
    }

    @Test func settingsComeFromAURLAndOptions() throws {
        let settings = try PostgresConnectionSettings(url: "postgres://app:secret@db.local:6432/orders?sslmode=disable&application_name=wippy")
        #expect(settings == PostgresConnectionSettings(
            host: "db.local", port: 6432, database: "orders", username: "app", password: "secret",
            options: ["sslmode": "disable", "application_name": "wippy"]))
        #expect(settings.description == "postgres://app@db.local:6432/orders")
        let parameters = try settings.clientConfiguration().options.additionalStartupParameters
        #expect(parameters.map(\.0) == ["synchronous_commit", "application_name"])
        var bad = settings
        bad.options["sslmode"] = "sometimes"
        #expect(throws: WippyError.self) { try bad.clientConfiguration() }
        #expect(throws: WippyError.self) { try PostgresConnectionSettings(url: "mysql://x@y/z") }
    }
}
