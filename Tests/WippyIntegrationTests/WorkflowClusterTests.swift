import Foundation
import Testing
import WippyCore
import WippyStore
import WippyTestSupport

/// Several `wippy run` nodes share their workflows through one PostgreSQL store (issue 8, items 6 and 8b,
/// 8c): a node holds each run through a lease; when the owner is killed with `kill -9` mid-run, another
/// node takes the run over once the lease expires and finishes it from the journal; a signal sent to the
/// workflow while its owner is down is kept as a row and delivered after the takeover.
@Suite(.serialized) struct WorkflowClusterTests {
    static func index(_ settings: PostgresConnectionSettings) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: db
            kind: db.sql.postgres
            host: \(settings.host)
            port: \(settings.port)
            database: \(settings.database)
            username: \(settings.username)
            password: unused
            options: {search_path: \(settings.options["search_path"] ?? "public")}
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: workflows
            kind: workflow.host
            store: app:db
            lease: 2s
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: step
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(i) logger:info("step " .. i) return i * 10 end }
          - name: finish
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(total, word) logger:info("job done " .. total .. " " .. word) return true end }
          - name: job
            kind: workflow.lua
            method: main
            modules: [funcs, time]
            source: |
              local funcs = require("funcs")
              local time = require("time")
              return { main = function()
                local total = 0
                for i = 1, 4 do
                  total = total + funcs.call("app:step", i)
                  time.sleep("200ms")
                end
                local msg = process.inbox():receive()
                funcs.call("app:finish", total, msg:payload():data())
                return total
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local pid, err = process.with_options({["workflow.id"] = "job-1"}):spawn("app:job", "app:workflows")
                logger:info("client got " .. tostring(pid or err))
                process.inbox():receive()
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """
    }

    @Test func aKilledOwnersRunIsTakenOverAndGetsTheSignalSentWhileItWasDown() async throws {
        let settings = try await PostgresTestServer.freshSchema()
        let index = Self.index(settings)
        let projectA = try TemporaryProject(files: ["src/_index.yaml": index])
        let projectB = try TemporaryProject(files: ["src/_index.yaml": index])

        let nodeA = try RunningWippy(["run", "--history", "memory"], in: projectA.root)
        nodeA.signal(SIGKILL, when: "step 2")
        #expect(await nodeA.waitFor("step 1", within: .seconds(60)), "stdout: \(nodeA.stdout)\nstderr: \(nodeA.stderr)")
        // The second node joins while the first runs the workflow: its client's start finds the run.
        let nodeB = try RunningWippy(["run", "--history", "memory"], in: projectB.root)
        defer { nodeB.signal(SIGKILL) }
        #expect(await nodeB.waitFor("client got {app:workflows@app:workflows|job-1}", within: .seconds(60)), "\(nodeB.stdout)")
        #expect(await nodeA.waitFor("step 2", within: .seconds(60)))
        _ = await nodeA.exit(within: .seconds(20))
        let killed = ContinuousClock.now

        // The owner is down and its lease still runs: the signal is kept for whoever takes the run.
        let signal = try await WippyBinary.run(["workflow", "signal", "job-1", "approve", #""yes""#], in: projectB.root)
        #expect(signal.status == 0, "\(signal.stdout)\(signal.stderr)")

        #expect(await nodeB.waitFor("step 3", within: .seconds(60)), "stdout: \(nodeB.stdout)\nstderr: \(nodeB.stderr)")
        let takeover = ContinuousClock.now - killed
        print("workflow takeover after kill -9 (lease 2s): \(takeover)")
        #expect(await nodeB.waitFor("job done 100 yes", within: .seconds(60)), "stdout: \(nodeB.stdout)\nstderr: \(nodeB.stderr)")
        #expect(!nodeB.stdout.contains("step 1"), "the second node replays step 1 from the journal")

        let store = try PostgresWorkflowStore(settings: settings)
        defer { store.close() }
        // "job done" is the last activity's line: the run's end is written just after it.
        var records = try await store.list()
        let deadline = ContinuousClock.now + .seconds(30)
        while records.first?.status == .running, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            records = try await store.list()
        }
        #expect(records.map(\.run.workflowID) == ["job-1"])
        let record = try #require(records.first)
        #expect(record.status == .completed)
        let run = try #require(try await store.load(record.run))
        #expect(run.events.filter { $0.kind == "call" }.map(\.key) == Array(repeating: "app:step", count: 4) + ["app:finish"])
        #expect(run.events.filter { $0.kind == "result" }.count == 5)
        #expect(run.events.filter { $0.kind == "signal" }.map(\.key) == ["approve"])
        #expect(try await store.pendingSignals(workflowID: "job-1").isEmpty)

        // The command-line tools read the shared store too.
        let list = try await WippyBinary.run(["workflow", "list"], in: projectB.root)
        #expect(list.status == 0, "\(list.stdout)\(list.stderr)")
        #expect(list.stdout.contains("job-1") && list.stdout.contains("completed"), "\(list.stdout)")
        let show = try await WippyBinary.run(["workflow", "show", "job-1"], in: projectB.root)
        #expect(show.status == 0, "\(show.stdout)\(show.stderr)")
        #expect(show.stdout.contains("approve") && show.stdout.contains("app:finish"), "\(show.stdout)")
    }
}
