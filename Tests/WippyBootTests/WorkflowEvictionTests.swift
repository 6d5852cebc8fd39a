import Foundation
import Testing
import WippyBoot
import WippyCore
import WippyStore

/// Parked runs leave memory (issue 8, item 7): a run waiting on a signal or a durable timer for its host's
/// `evict_after` ends its process and keeps only its rows; a signal (a store row while it is away) or its
/// timer brings it back from the journal, and it finishes as if it had never left. Its monitor sees one
/// EXIT, when the run ends.
@Suite struct WorkflowEvictionTests {
    static let project = """
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
            evict_after: 30ms
            lifecycle: {auto_start: true}
          - name: note
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(text) logger:info("note " .. text) return #text end }
          - name: waiter
            kind: workflow.lua
            method: main
            modules: [funcs, time]
            source: |
              local funcs = require("funcs")
              local time = require("time")
              return { main = function(n)
                local first = process.inbox():receive()
                funcs.call("app:note", "got first")
                time.sleep("300ms")
                funcs.call("app:note", "slept")
                local second = process.inbox():receive()
                return n + first:payload():data() + second:payload():data()
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger, events]
            source: |
              local logger = require("logger")
              local events = require("events")
              return { main = function()
                -- Workflow events, and process exits to count the runs of the note activity.
                local sub = events.subscribe("(workflow|process)")
                local ch = sub:channel()
                local notes = 0
                local function await(kind)
                  while true do
                    local event = ch:receive()
                    if event.kind == "process.exit" and event.data and event.data.entry == "app:note" then notes = notes + 1 end
                    if event.kind == kind then return event end
                  end
                end
                local pid = process.with_options({["workflow.id"] = "w-1"}):spawn_monitored("app:waiter", "app:workflows", 1)
                await("workflow.evicted")
                logger:info("evicted while waiting for a signal")
                process.send(pid, "go", 10)
                await("workflow.resumed")
                await("workflow.evicted")
                logger:info("evicted while sleeping")
                -- Back when its timer fires, it runs the second note and parks on its inbox: the eviction
                -- after that note (a loaded machine may see the run come back and leave once more while
                -- it still sleeps).
                repeat await("workflow.evicted") until notes >= 2
                logger:info("evicted again")
                process.send(pid, "go", 100)
                local exit = process.events():receive()
                logger:info("exit " .. exit.kind .. " " .. tostring(exit.result.value))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test func aParkedRunLeavesMemoryAndComesBackOnItsSignalAndItsTimer() async throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        #expect(await app.log.wait(for: "evicted while waiting", within: .seconds(30)) != nil, "\(app.log.messages)")
        #expect(await app.log.wait(for: "evicted while sleeping", within: .seconds(30)) != nil, "\(app.log.messages)")
        #expect(await app.log.wait(for: "evicted again", within: .seconds(30)) != nil, "\(app.log.messages)")
        let exit = await app.log.wait(for: "exit ", within: .seconds(30))
        #expect(exit == "exit pid.exit 111", "\(app.log.messages)")
        // Each activity ran once, although the run was replayed three times.
        #expect(app.log.count("note got first") == 1)
        #expect(app.log.count("note slept") == 1)

        let store = try SQLiteWorkflowStore(path: app.project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let record = try #require(try await store.list().first)
        #expect(record.status == .completed)
        let run = try #require(try await store.load(record.run))
        #expect(run.events.map(\.kind) == ["start", "signal", "call", "result", "timer", "fired", "call", "result", "signal"])
    }
}
