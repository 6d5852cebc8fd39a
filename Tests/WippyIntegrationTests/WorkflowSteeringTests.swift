import Foundation
import Testing
import WippyCore
import WippyStore

/// `wippy workflow signal|cancel|terminate` act on runs in flight through the running runtime's control
/// socket; the signal is journaled, the cancel arrives as a CANCEL event, terminate ends the run
/// (issue 8, item 9).
@Suite struct WorkflowSteeringTests {
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
          - name: noted
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(text) logger:info("noted " .. text) return true end }
          - name: waiter
            kind: workflow.lua
            method: main
            modules: [funcs, json]
            source: |
              local funcs = require("funcs")
              local json = require("json")
              return { main = function()
                local events = process.events()
                local inbox = process.inbox()
                while true do
                  local r = channel.select({ inbox:case_receive(), events:case_receive() })
                  if r.channel == inbox then
                    funcs.call("app:noted", r.value:topic() .. " " .. json.encode(r.value:payload():data()))
                    return "approved"
                  elseif r.value.kind == process.event.CANCEL then
                    funcs.call("app:noted", "cancel " .. r.value.reason)
                    return "cancelled"
                  end
                end
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                for _, id in ipairs({"w-1", "w-2", "w-3"}) do
                  local pid = process.with_options({["workflow.id"] = id}):spawn("app:waiter", "app:workflows")
                  logger:info("started " .. tostring(pid))
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

    /// With the default `evict_after` the runs are in memory when the requests come; with 10ms they have
    /// left memory, and the requests reach them through the store.
    @Test(arguments: ["30s", "10ms"]) func signalCancelAndTerminateReachRunsInFlight(evictAfter: String) async throws {
        let index = Self.index.replacingOccurrences(
            of: "kind: workflow.host\n", with: "kind: workflow.host\n    evict_after: \(evictAfter)\n")
        #expect(index.contains("evict_after: \(evictAfter)"))
        let project = try TemporaryProject(files: ["src/_index.yaml": index])
        let running = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { running.signal(SIGKILL) }
        #expect(await running.waitFor("all started", within: .seconds(60)), "\(running.stdout)\n\(running.stderr)")

        let signal = try await WippyBinary.run(["workflow", "signal", "w-1", "approve", #"{"by":"ana"}"#], in: project.root)
        #expect(signal.status == 0, "\(signal.stderr)")
        #expect(signal.stdout.contains("{app:workflows@app:workflows|w-1}"))
        #expect(await running.waitFor(#"noted approve {"by":"ana"}"#, within: .seconds(30)), "\(running.stdout)")

        let cancel = try await WippyBinary.run(["workflow", "cancel", "w-2", "changed my mind"], in: project.root)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(await running.waitFor("noted cancel changed my mind", within: .seconds(30)), "\(running.stdout)")

        let terminate = try await WippyBinary.run(["workflow", "terminate", "w-3"], in: project.root)
        #expect(terminate.status == 0, "\(terminate.stderr)")

        let unknown = try await WippyBinary.run(["workflow", "signal", "nobody", "x"], in: project.root)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("workflow nobody is not running"), "\(unknown.stderr)")

        running.signal(SIGTERM)
        _ = await running.exit(within: .seconds(30))
        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let statuses = Dictionary(uniqueKeysWithValues: try await store.list().map { ($0.run.workflowID, $0.status) })
        #expect(statuses == ["w-1": .completed, "w-2": .completed, "w-3": .terminated])
        let first = try #require(try await store.list().first { $0.run.workflowID == "w-1" })
        let journal = try #require(try await store.load(first.run))
        #expect(journal.events.filter { $0.kind == "signal" }.map(\.key) == ["approve"])
    }

    /// With no runtime running, `signal` and `cancel` are kept in the store (signal rows) and reach the runs
    /// when a runtime resumes them (issue 8, item 8c on one machine).
    @Test func signalsSentWhileTheRuntimeIsDownAreDeliveredAfterTheRestart() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index])
        do {
            let first = try RunningWippy(["run", "--history", "memory"], in: project.root)
            first.signal(SIGKILL, when: "all started")
            #expect(await first.waitFor("all started", within: .seconds(60)), "\(first.stdout)\n\(first.stderr)")
            _ = await first.exit(within: .seconds(20))
        }
        let signal = try await WippyBinary.run(["workflow", "signal", "w-1", "approve", #"{"by":"bo"}"#], in: project.root)
        #expect(signal.status == 0, "\(signal.stderr)")
        #expect(signal.stdout.contains("kept"), "\(signal.stdout)")
        let cancel = try await WippyBinary.run(["workflow", "cancel", "w-2", "while down"], in: project.root)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        let unknown = try await WippyBinary.run(["workflow", "signal", "nobody", "x"], in: project.root)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no run of workflow nobody"), "\(unknown.stderr)")

        let second = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { second.signal(SIGKILL) }
        #expect(await second.waitFor(#"noted approve {"by":"bo"}"#, within: .seconds(60)), "\(second.stdout)\n\(second.stderr)")
        #expect(await second.waitFor("noted cancel while down", within: .seconds(60)), "\(second.stdout)")
        second.signal(SIGTERM)
        _ = await second.exit(within: .seconds(30))
        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let statuses = Dictionary(uniqueKeysWithValues: try await store.list().map { ($0.run.workflowID, $0.status) })
        #expect(statuses["w-1"] == .completed && statuses["w-2"] == .completed, "\(statuses)")
        #expect(try await store.pendingSignals(workflowID: "w-1").isEmpty)
    }
}
