import Foundation
import GRDB
import Testing
import WippyCore
import WippyStore

/// `wippy workflow list|show` (issue 8, item 9) against stores filled through the SQLite store API: the
/// project's stores found as the runtime finds them, status filters, the record, pinned code version and
/// journal with times and readable payloads, JSON, a missing store, a damaged journal.
@Suite struct WorkflowCommandTests {
    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: terminal
            kind: terminal.host

        """

    func project(_ extra: String = "") throws -> TemporaryProject {
        try TemporaryProject(files: ["src/_index.yaml": Self.index + extra])
    }

    func wippy(_ project: TemporaryProject, _ arguments: String...) async throws -> WippyBinary.Run {
        try await WippyBinary.run(["workflow"] + arguments, in: project.root)
    }

    /// Runs `sql` on a raw connection (sync, so async tests do not pick GRDB's async overloads).
    static func execute(_ path: String, _ sql: String) throws {
        let raw = try DatabaseQueue(path: path)
        try raw.writeWithoutTransaction { db in try db.execute(sql: sql) }
        try raw.close()
    }

    static func archive(_ payload: Payload) -> [UInt8] { (try? PayloadArchive.encode(payload)) ?? [] }

    static func record(_ id: String, version: UInt64 = 12, input: Payload = .map([("order", 42)])) -> WorkflowRecord {
        WorkflowRecord(
            run: WorkflowRunID(workflowID: id, runID: "run-1"), entry: EntryID(parsing: "app:order_saga"), entryKind: "workflow.lua",
            registryVersion: version, input: archive(input))
    }

    /// A store at `path` with three runs: `order-1` (running, 3 events with fixed times), `order-2`
    /// (completed), `order-3` (blocked).
    static func fill(_ path: String) async throws {
        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        let events = [
            JournalEvent(seq: 1, kind: "call", key: "app:charge", payload: archive(.map([("amount", 9.5), ("card", "visa")])), time: 1_767_225_600_000),
            JournalEvent(seq: 2, kind: "call_result", key: "app:charge", payload: archive(.array(["ok", .int(7), .bytes([0xff, 0x00])])), time: 1_767_225_600_250),
            JournalEvent(seq: 3, kind: "raw", key: "", payload: [0xde, 0xad, 0xbe, 0xef], time: 1_767_225_601_000),
        ]
        try await store.write(.start(record("order-1"), events: events))
        try await store.write(.start(record("order-2", version: 13)))
        try await store.write(
            WorkflowWrite(run: record("order-2").run, events: [JournalEvent(seq: 1, kind: "done")], status: .completed, result: archive("shipped")))
        try await store.write(.start(record("order-3")))
        try await store.write(WorkflowWrite(run: record("order-3").run, status: .blocked))
    }

    @Test func aProjectWithoutAStoreHasNoWorkflowsYet() async throws {
        let project = try project()
        let list = try await wippy(project, "list")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout == "No workflows recorded yet (no store at \(project.root)/.wippy/workflows.db)\n")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/.wippy/workflows.db"), "listing must not create a store")
        let show = try await wippy(project, "show", "order-1")
        #expect(show.status == 1)
        #expect(show.stderr.contains("no workflows recorded yet"))
    }

    @Test func listPrintsEveryRunAndFiltersByStatus() async throws {
        let project = try project()
        try await Self.fill(project.root + "/.wippy/workflows.db")
        let list = try await wippy(project, "list")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout == """
            WORKFLOW  RUN    ENTRY           STATUS     VERSION  EVENTS
            order-1   run-1  app:order_saga  running    12       3
            order-2   run-1  app:order_saga  completed  13       1
            order-3   run-1  app:order_saga  blocked    12       0
            Total: 3 runs

            """)
        let filtered = try await wippy(project, "list", "--status", "blocked", "-s", "completed")
        #expect(filtered.stdout.contains("order-2") && filtered.stdout.contains("order-3") && !filtered.stdout.contains("order-1"))
        #expect(filtered.stdout.contains("Total: 2 runs"))
        let none = try await wippy(project, "list", "--status", "paused")
        #expect(none.stdout == "No workflow runs with status paused\n")
        let bad = try await wippy(project, "list", "--status", "sleeping")
        #expect(bad.status != 0 && bad.stderr.contains("unknown status 'sleeping'"))

        let json = try await wippy(project, "list", "--status", "completed", "--json")
        #expect(json.stdout.hasPrefix(#"[{"workflow_id":"order-2","run_id":"run-1","entry":"app:order_saga","entry_kind":"workflow.lua","status":"completed","registry_version":13,"history_length":1,"history_size":4,"created_at":""#))
    }

    @Test func showPrintsTheRecordAndTheJournalWithTimes() async throws {
        let project = try project()
        try await Self.fill(project.root + "/.wippy/workflows.db")
        let show = try await wippy(project, "show", "order-1")
        #expect(show.status == 0, "\(show.stderr)")
        let lines = show.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(lines.prefix(5)) == [
            "Workflow: order-1", "Run: run-1", "Entry: app:order_saga (workflow.lua)", "Status: running",
            "Code: registry version 12 (pinned when the run started)",
        ])
        #expect(lines.contains { $0.hasPrefix("Started: 20") && $0.hasSuffix("Z") })
        #expect(lines.contains(#"Input: {"order": 42}"#))
        #expect(!lines.contains { $0.hasPrefix("Result:") })
        let size = 4 + 10 + Self.archive(.map([("amount", 9.5), ("card", "visa")])).count + 11 + 10
            + Self.archive(.array(["ok", .int(7), .bytes([0xff, 0x00])])).count + 3 + 4
        #expect(lines.contains("History: 3 events, \(size) bytes"))
        #expect(show.stdout.hasSuffix("""
            Journal:
              SEQ  TIME                      KIND         KEY         PAYLOAD
              1    2026-01-01T00:00:00.000Z  call         app:charge  {"amount": 9.5, "card": "visa"}
              2    2026-01-01T00:00:00.250Z  call_result  app:charge  ["ok", 7, 0xff00]
              3    2026-01-01T00:00:01.000Z  raw                      <4 bytes, not a payload: deadbeef>

            """))

        let done = try await wippy(project, "show", "order-2/run-1")
        #expect(done.stdout.contains("Status: completed\n") && done.stdout.contains(#"Result: "shipped""#))
        let json = try await wippy(project, "show", "order-1", "--json")
        #expect(json.stdout.contains(#""events":[{"seq":1,"time":"2026-01-01T00:00:00.000Z","kind":"call","key":"app:charge","payload":{"amount":9.5,"card":"visa"}}"#))
        #expect(json.stdout.contains(#""payload":["ok",7,{"hex":"ff00"}]"#))
        #expect(json.stdout.contains(#""payload":{"raw_hex":"deadbeef"}"#))
        let missing = try await wippy(project, "show", "order-9")
        #expect(missing.status == 1 && missing.stderr.contains("no workflow 'order-9'"))
    }

    @Test func theStoreOfAWorkflowHostIsFound() async throws {
        let project = try project("""
              - name: journal
                kind: db.sql.sqlite
                file: state/journal.db
              - name: workflows
                kind: workflow.host
                store: journal

            """)
        try await Self.fill(project.root + "/state/journal.db")
        let list = try await wippy(project, "list")
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("Total: 3 runs"))
        #expect(!FileManager.default.fileExists(atPath: project.root + "/.wippy/workflows.db"))
        let explicit = try await wippy(project, "list", "--store", "state/journal.db", "-s", "running")
        #expect(explicit.stdout.contains("order-1") && explicit.stdout.contains("Total: 1 run\n"))
    }

    @Test func aBadWorkflowHostIsReportedWithFileAndEntry() async throws {
        let project = try project("""
              - name: workflows
                kind: workflow.host
                store: nowhere

            """)
        let list = try await wippy(project, "list")
        #expect(list.status == 1)
        #expect(list.stderr.contains("src/_index.yaml:"), "\(list.stderr)")
        #expect(list.stderr.contains("entry app:workflows: 'store' names app:nowhere, which does not exist"), "\(list.stderr)")
    }

    @Test func aDamagedJournalIsReportedWithRunAndSeq() async throws {
        let project = try project()
        let path = project.root + "/.wippy/workflows.db"
        try await Self.fill(path)
        try Self.execute(path, "UPDATE workflow_journal SET payload = X'00' WHERE seq = 2 AND run = (SELECT id FROM workflow_runs WHERE workflow_id = 'order-1')")
        let show = try await wippy(project, "show", "order-1")
        #expect(show.status == 1)
        #expect(show.stdout.contains("Workflow: order-1") && show.stdout.contains("Journal: damaged"))
        #expect(show.stderr.contains("the journal of workflow order-1 (run run-1) is damaged at seq 2: the event does not match its checksum"), "\(show.stderr)")
        // The other runs still list and show.
        let list = try await wippy(project, "list")
        #expect(list.status == 0 && list.stdout.contains("Total: 3 runs"))
    }

    @Test func helpExplains() async throws {
        let project = try project()
        let help = try await wippy(project, "--help")
        #expect(help.stdout.contains("workflow.host") && help.stdout.contains(".wippy/workflows.db") && help.stdout.contains("read-only"))
        #expect(help.stdout.contains("list") && help.stdout.contains("show"))
        let show = try await wippy(project, "show", "--help")
        #expect(show.stdout.contains("damaged journal") && show.stdout.contains("workflow-id/run-id"))
    }
}
