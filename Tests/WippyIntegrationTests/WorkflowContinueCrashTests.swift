import Foundation
import Testing
import WippyCore
import WippyStore
import WippyTestSupport

/// A loop that continues as new (`process.upgrade`) whenever its history grows past a bound, `kill -9`ed in
/// the middle and restarted: it finishes with the right result, each step journaled exactly once in exactly
/// one run, every run's journal short, and the chain of runs unbroken (issue 8, item 2). On the embedded
/// SQLite store, and on PostgreSQL (the successor is held by the continuing node from its first commit; the
/// restarted node takes it over once the killed one's lease expires).
@Suite struct WorkflowContinueCrashTests {
    enum Store: String, CaseIterable, CustomStringConvertible {
        case sqlite, postgres
        var description: String { rawValue }
    }

    static func index(_ settings: PostgresConnectionSettings?) -> String {
        guard let settings else { return index.replacingOccurrences(of: "    STORE\n", with: "") }
        return index.replacingOccurrences(of: "    STORE\n", with: "    store: app:db\n    lease: 1s\n") + """

          - name: db
            kind: db.sql.postgres
            host: \(settings.host)
            port: \(settings.port)
            database: \(settings.database)
            username: \(settings.username)
            password: unused
            options: {search_path: \(settings.options["search_path"] ?? "public")}
        """
    }

    static let index = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: workflows
            kind: workflow.host
            STORE
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: step
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(i) logger:info("step " .. i) return i * i end }
          - name: looper
            kind: workflow.lua
            method: main
            modules: [funcs, time, workflow]
            source: |
              local funcs = require("funcs")
              local time = require("time")
              local workflow = require("workflow")
              return { main = function(state)
                state = state or { i = 0, sum = 0 }
                while state.i < 20 do
                  state.sum = state.sum + funcs.call("app:step", state.i)
                  state.i = state.i + 1
                  time.sleep("30ms")
                  if workflow.history_length() > 8 then return process.upgrade(nil, state) end
                end
                return state
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger, json]
            source: |
              local logger = require("logger")
              local json = require("json")
              return { main = function()
                local pid = process.with_options({["workflow.id"] = "loop-9"}):spawn_monitored("app:looper", "app:workflows")
                local event = process.events():receive()
                logger:info("loop done " .. json.encode(event.result.value or tostring(event.result.error)))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test(arguments: Store.allCases) func aLoopThatContinuesAsNewSurvivesAKill(_ kind: Store) async throws {
        let settings = kind == .postgres ? try await PostgresTestServer.freshSchema() : nil
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index(settings)])
        do {
            let first = try RunningWippy(["run", "--history", "memory"], in: project.root)
            first.signal(SIGKILL, when: "step 9")
            #expect(await first.waitFor("step 9", within: .seconds(60)), "stdout: \(first.stdout)\nstderr: \(first.stderr)")
            _ = await first.exit(within: .seconds(20))
            #expect(!first.stdout.contains("loop done"))
            #expect(!first.stdout.contains("step 19"))
        }
        // The client starts again, joins the workflow by its id and waits for its end.
        let second = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { second.signal(SIGKILL) }
        #expect(await second.waitFor("loop done ", within: .seconds(60)), "stdout: \(second.stdout)\nstderr: \(second.stderr)")
        if kind == .sqlite {
            #expect(second.stdout.contains("resumed 1 unfinished workflow run") || second.stderr.contains("resumed 1 unfinished workflow run"))
        }
        second.signal(SIGTERM)
        _ = await second.exit(within: .seconds(30))
        let line = try #require(second.stdout.components(separatedBy: "\n").first { $0.contains("loop done ") })
        // `loop done {json} {log fields}`
        let json = try #require(line.components(separatedBy: "loop done ").last?.components(separatedBy: "} ").first, "\(line)") + "}"
        let value = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(line)")
        // 0² + 1² + ... + 19²
        #expect(value["sum"] as? Int == 2470, "\(value)")
        #expect(value["i"] as? Int == 20, "\(value)")

        let store: any WorkflowStore = try settings.map { try PostgresWorkflowStore(settings: $0) }
            ?? SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let records = try await store.list()
        #expect(Set(records.map(\.run.workflowID)) == ["loop-9"])
        // Two steps per run (4 events each after the start), then a last run that only returns.
        #expect(records.count == 11, "\(records.map(\.status))")
        #expect(records.dropLast().allSatisfy { $0.status == .continued })
        #expect(records.last?.status == .completed)
        var steps: [Payload] = []
        for (index, record) in records.enumerated() {
            let run = try #require(try await store.load(record.run))
            #expect(run.events.count <= 9, "\(record.run): \(run.events.map(\.kind))")
            let calls = run.events.filter { $0.kind == "call" }
            for call in calls {
                steps.append(try WorkflowJournalCodec.decodeCommand(call.payload)["args"] ?? .null)
                let results = run.events.filter { $0.kind == "result" && $0.key == String(call.seq) }
                #expect(results.count == 1, "\(record.run) call \(call.seq) has \(results.count) results")
            }
            if index > 0 {
                let previous = try PayloadArchive.decode(try #require(records[index - 1].result))
                #expect(previous["continued_as"]?.stringValue == record.run.runID)
            }
        }
        // Each step in exactly one run, once, in order.
        #expect(steps == (0..<20).map { Payload.array([.int(Int64($0))]) }, "\(steps)")
    }
}
