import Foundation
import Testing
import WippyCore
import WippyStore

/// Code changes under running workflows (issue 8, items 4, 8e and 9): `wippy workflow replay` replays a
/// journal against the current code without effects and says where it diverges; a hot reload of a workflow's
/// Lua replays its runs in flight against the new code in the background and reports the ones that would
/// diverge, while they all finish on their pinned code and new runs take the new code.
@Suite struct WorkflowCodeChangeTests {
    static func index(runs: Int) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: workflows
            kind: workflow.host
            evict_after: 50ms
            host: {workers: 2}
            lifecycle: {auto_start: true}
          - name: step
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(i) logger:info("step " .. i) return i * 10 end }
          - name: audit
            kind: function.lua
            method: main
            source: |
              return { main = function(i) return true end }
          - name: done
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(version, i, extra) logger:info("done " .. version .. " " .. i .. " " .. tostring(extra)) return true end }
          - name: flow
            kind: workflow.lua
            method: main
            modules: [funcs]
            source: file://flow.lua
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                for i = 1, \(runs) do
                  local pid, err = process.with_options({["workflow.id"] = "c-" .. i}):spawn("app:flow", "app:workflows", i)
                  if not pid then logger:info("start failed " .. tostring(err)) end
                end
                logger:info("all started")
                process.events():receive()
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}

        """
    }

    /// The code runs start with: a step, then it waits for a message, then reports with the message.
    static let v1 = """
        local funcs = require("funcs")
        return { main = function(i)
          local a = funcs.call("app:step", i)
          local msg = process.inbox():receive()
          funcs.call("app:done", "v1", i, msg:payload():data())
          return "v1:" .. i
        end }

        """

    /// The changed code: an audit call comes first (a journal of v1 diverges at its first command), and it
    /// no longer waits.
    static let v2 = """
        local funcs = require("funcs")
        return { main = function(i)
          funcs.call("app:audit", i)
          local a = funcs.call("app:step", i)
          funcs.call("app:done", "v2", i, a)
          return "v2:" .. i
        end }

        """

    /// Lines of `text` that contain `prefix`, counted.
    static func count(_ text: String, _ prefix: String) -> Int {
        text.components(separatedBy: "\n").filter { $0.contains(prefix) }.count
    }

    /// The number of events in the journal of `id`'s run, which must be in flight.
    static func journalLength(_ project: TemporaryProject, _ id: String) async throws -> Int {
        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let record = try #require(try await store.list().first { $0.run.workflowID == id })
        #expect(record.status == .running)
        return try #require(try await store.load(record.run)).events.count
    }

    @Test func replayTellsWhetherAJournalReplaysOnTheCurrentCode() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index(runs: 2), "src/flow.lua": Self.v1])
        let running = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { running.signal(SIGKILL) }
        #expect(await running.waitFor("all started", within: .seconds(60)), "\(running.stdout)\n\(running.stderr)")
        #expect(await running.waitFor("step 2", within: .seconds(30)), "\(running.stdout)")
        running.signal(SIGTERM)
        _ = await running.exit(within: .seconds(30))

        // The journal of c-1: start, call app:step (and its result once it was written). The code has not
        // changed: clean.
        let length = try await Self.journalLength(project, "c-1")
        #expect(length >= 2)
        let clean = try await WippyBinary.run(["workflow", "replay", "c-1"], in: project.root)
        #expect(clean.status == 0, "\(clean.stdout)\n\(clean.stderr)")
        #expect(clean.stdout.contains("c-1/"), "\(clean.stdout)")
        #expect(clean.stdout.contains("(app:flow) replays cleanly (\(length) events)"), "\(clean.stdout)\n\(clean.stderr)")

        // The code changes: the replay names the sequence number, both commands, the entry and the line.
        try project.write("src/flow.lua", Self.v2)
        let diverged = try await WippyBinary.run(["workflow", "replay", "c-1"], in: project.root)
        #expect(diverged.status == 2, "\(diverged.stdout)\n\(diverged.stderr)")
        #expect(diverged.stdout.contains("diverges at journal seq 2"), "\(diverged.stdout)\n\(diverged.stderr)")
        #expect(diverged.stdout.contains("expected: call app:step"), "\(diverged.stdout)")
        #expect(diverged.stdout.contains("actual:   call app:audit"), "\(diverged.stdout)")
        #expect(diverged.stdout.contains("entry:    app:flow"), "\(diverged.stdout)")
        #expect(diverged.stdout.contains(":3"), "names the line of the audit call: \(diverged.stdout)")
        let json = try await WippyBinary.run(["workflow", "replay", "c-2", "--json"], in: project.root)
        #expect(json.status == 2)
        #expect(json.stdout.contains(#""expected": "call app:step""#) || json.stdout.contains(#""expected":"call app:step""#), "\(json.stdout)")

        // The replay acted on nothing: no activity ran (no step line), and the journals are unchanged.
        #expect(!clean.stdout.contains("step ") && !diverged.stdout.contains("step "))
        #expect(try await Self.journalLength(project, "c-1") == length)

        let missing = try await WippyBinary.run(["workflow", "replay", "nobody"], in: project.root)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no workflow 'nobody'"), "\(missing.stderr)")
    }

    /// Item 8e: the code of a workflow changes (its Lua file is rewritten under a running `wippy run`) while
    /// 100 runs wait for a message: the runtime reports in the background that all 100 would diverge under
    /// the new code, all 100 finish correctly on their pinned code, and new runs take the new code.
    @Test func aCodeChangeUnder100RunsInFlightBreaksNone() async throws {
        let runs = 100
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index(runs: runs), "src/flow.lua": Self.v1])
        let running = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { running.signal(SIGKILL) }
        #expect(await running.waitFor("all started", within: .seconds(90)), "\(running.stdout)\n\(running.stderr)")
        #expect(await running.waitFor("step \(runs)", within: .seconds(60)), "\(running.stdout)")
        #expect(await running.waitFor("runtime ready", within: .seconds(30)), "\(running.stdout)")

        try project.write("src/flow.lua", Self.v2)
        #expect(await running.waitFor("reloaded src/flow.lua", within: .seconds(30)), "\(running.stdout)\n\(running.stderr)")
        // The background replay against the new code: every run in flight would diverge.
        let summary = "workflow code app:flow changed: replayed \(runs) runs in flight against it: 0 clean, \(runs) would diverge"
        #expect(await running.waitFor(summary, within: .seconds(60)), "\(running.stdout)\n\(running.stderr)")
        #expect(Self.count(running.stdout, "would diverge under the changed code: nondeterminism at journal seq 2: expected call app:step, the code did call app:audit") == runs)

        // A service added now releases the 100 runs and starts three new ones.
        let releaser = """
              - name: releaser
                kind: process.lua
                method: main
                modules: [logger]
                source: |
                  local logger = require("logger")
                  return { main = function()
                    for i = 1, \(runs) do process.send("{app:workflows@app:workflows|c-" .. i .. "}", "go", i * 7) end
                    for i = 1, 3 do
                      process.with_options({["workflow.id"] = "n-" .. i}):spawn("app:flow", "app:workflows", 1000 + i)
                    end
                    logger:info("released")
                    process.events():receive()
                  end }
              - name: releaser.service
                kind: process.service
                process: releaser
                host: app:processes
                lifecycle: {auto_start: true, depends_on: [app:workflows]}

            """
        try project.write("src/_index.yaml", Self.index(runs: runs) + releaser)
        #expect(await running.waitFor("released", within: .seconds(60)), "\(running.stdout)\n\(running.stderr)")
        for i in 1...3 {
            #expect(await running.waitFor("done v2 \(1000 + i) ", within: .seconds(60)), "\(running.stdout)")
        }
        for i in 1...runs {
            #expect(await running.waitFor("done v1 \(i) \(i * 7)", within: .seconds(60)), "run \(i): \(running.stdout)")
        }
        running.signal(SIGTERM)
        _ = await running.exit(within: .seconds(30))

        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let records = try await store.list()
        #expect(records.count == runs + 3)
        for record in records {
            #expect(record.status == .completed, "\(record.run.workflowID): \(record.status)")
            let result = try PayloadArchive.decode(try #require(record.result)).stringValue
            let id = record.run.workflowID
            let expected = id.hasPrefix("c-") ? "v1:" + id.dropFirst(2) : "v2:" + String(1000 + Int(id.dropFirst(2))!)
            #expect(result == expected, "\(id)")
            let calls = try #require(try await store.load(record.run)).events.filter { $0.kind == "call" }.map(\.key)
            #expect(calls == (id.hasPrefix("c-") ? ["app:step", "app:done"] : ["app:audit", "app:step", "app:done"]), "\(id)")
        }
        #expect(Self.count(running.stdout, "done v1 ") == runs)
    }
}
