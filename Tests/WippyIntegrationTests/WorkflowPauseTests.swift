import Foundation
import Testing
import WippyCore
import WippyStore

/// An activity whose retry policy says `on_exhausted: pause` pauses its run when the retries run out, instead
/// of handing the error to the workflow; `wippy workflow resume` tries the activity again and the run goes
/// on (issue 8, items 3 and 9).
@Suite struct WorkflowPauseTests {
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
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: ship
            kind: function.lua
            method: main
            modules: [logger, registry]
            source: |
              local logger = require("logger")
              local registry = require("registry")
              return { main = function(order)
                if registry.get("app:carrier_ok") then
                  logger:info("shipped " .. order)
                  return "shipped " .. order
                end
                logger:info("ship attempt failed")
                error(errors.new({message = "carrier down", retryable = true}))
              end }
          - name: done
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(text) logger:info("saga done: " .. text) return true end }
          - name: saga
            kind: workflow.lua
            method: main
            modules: [funcs]
            source: |
              local funcs = require("funcs")
              return { main = function(order)
                local shipper = funcs.new():with_options({
                  ["activity.retry_policy"] = {maximum_attempts = 2, initial_interval = "5ms", on_exhausted = "pause"},
                })
                local shipped, err = shipper:call("app:ship", order)
                funcs.call("app:done", tostring(shipped or err))
                return shipped
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                process.with_options({["workflow.id"] = "p-1"}):spawn("app:saga", "app:workflows", "o-1")
                logger:info("started")
                process.events():receive()
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}

        """

    static func count(_ text: String, _ needle: String) -> Int {
        text.components(separatedBy: "\n").filter { $0.contains(needle) }.count
    }

    @Test func exhaustedRetriesPauseTheRunUntilAnOperatorResumesIt() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index])
        let running = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { running.signal(SIGKILL) }
        #expect(await running.waitFor("workflow p-1 (app:saga) is paused", within: .seconds(60)), "\(running.stdout)\n\(running.stderr)")
        #expect(Self.count(running.stdout, "ship attempt failed") == 2, "\(running.stdout)")
        #expect(!running.stdout.contains("saga done"), "the workflow did not see the error")
        let list = try await WippyBinary.run(["workflow", "list", "--status", "paused"], in: project.root)
        #expect(list.stdout.contains("p-1"), "\(list.stdout)\n\(list.stderr)")

        // The operator fixes the cause (the carrier comes back), then resumes: the activity runs again.
        try project.write("src/_index.yaml", Self.index + """
              - name: carrier_ok
                kind: registry.entry

            """)
        #expect(await running.waitFor("reloaded src/_index.yaml", within: .seconds(30)), "\(running.stdout)\n\(running.stderr)")
        let resume = try await WippyBinary.run(["workflow", "resume", "p-1"], in: project.root)
        #expect(resume.status == 0, "\(resume.stdout)\n\(resume.stderr)")
        #expect(await running.waitFor("saga done: shipped o-1", within: .seconds(30)), "\(running.stdout)\n\(running.stderr)")
        let again = try await WippyBinary.run(["workflow", "resume", "p-1"], in: project.root)
        #expect(again.status == 1, "a run that is not paused (here: ended) is not resumed")
        running.signal(SIGTERM)
        _ = await running.exit(within: .seconds(30))

        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let record = try #require(try await store.list().first)
        #expect(record.status == .completed)
        let run = try #require(try await store.load(record.run))
        let ship = try #require(run.events.first { $0.kind == "call" && $0.key == "app:ship" })
        // One result for the ship call: the success after the resume (the exhausted attempts are not journaled).
        let results = run.events.filter { $0.kind == "result" && $0.key == String(ship.seq) }
        #expect(results.count == 1)
        #expect(Self.count(running.stdout, "ship attempt failed") == 2)
    }

    /// A paused run stays paused across a restart (it is not resumed by itself), and an operator's resume
    /// then brings it back from its journal: the activity runs again.
    @Test func aPausedRunIsResumedAfterARestart() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index])
        do {
            let first = try RunningWippy(["run", "--history", "memory"], in: project.root)
            first.signal(SIGKILL, when: "workflow p-1 (app:saga) is paused")
            #expect(await first.waitFor("workflow p-1 (app:saga) is paused", within: .seconds(60)), "\(first.stdout)\n\(first.stderr)")
            _ = await first.exit(within: .seconds(20))
        }
        try project.write("src/_index.yaml", Self.index + """
              - name: carrier_ok
                kind: registry.entry

            """)
        let second = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { second.signal(SIGKILL) }
        let list = try await WippyBinary.run(["workflow", "list", "--status", "paused"], in: project.root)
        #expect(list.stdout.contains("p-1"), "\(list.stdout)\n\(list.stderr)")
        #expect(!second.stdout.contains("saga done"))
        // The client joins the run at boot ("started"): the runtime answers on its control socket by then.
        #expect(await second.waitFor("started", within: .seconds(60)), "\(second.stdout)\n\(second.stderr)")
        let resume = try await WippyBinary.run(["workflow", "resume", "p-1"], in: project.root)
        #expect(resume.status == 0, "\(resume.stdout)\n\(resume.stderr)")
        #expect(await second.waitFor("saga done: shipped o-1", within: .seconds(30)), "\(second.stdout)\n\(second.stderr)")
    }
}
