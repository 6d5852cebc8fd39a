import Foundation
import Testing
import WippyBoot
import WippyCore
import WippyStore

/// `process.terminate` (and `wippy workflow terminate`) of a run evicted while it waits for a signal: the run
/// is not in memory and its wake time says "on a signal", and its end is still written (issue 8, item 9).
@Suite struct WorkflowEvictedTerminateTests {
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
          - name: waiter
            kind: workflow.lua
            method: main
            source: |
              return { main = function() return process.inbox():receive():payload():data() end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger, events]
            source: |
              local logger = require("logger")
              local events = require("events")
              return { main = function()
                local ch = events.subscribe("workflow"):channel()
                local pid = process.with_options({["workflow.id"] = "w-9"}):spawn("app:waiter", "app:workflows")
                repeat local event = ch:receive() until event.kind == "workflow.evicted"
                local ok, err = process.terminate(pid)
                logger:info("terminated " .. tostring(ok) .. " " .. tostring(err))
                repeat local event = ch:receive() until event.kind == "workflow.terminated"
                logger:info("ended")
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test func aRunEvictedWhileWaitingForASignalCanBeTerminated() async throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let terminated = await app.log.wait(for: "terminated ", within: .seconds(30))
        #expect(terminated == "terminated true nil", "\(app.log.messages)")
        #expect(await app.log.wait(for: "ended", within: .seconds(30)) != nil, "\(app.log.messages)")
        let store = try SQLiteWorkflowStore(path: app.project.root + "/.wippy/workflows.db")
        defer { store.close() }
        #expect(try await store.list().map(\.status) == [.terminated])
    }
}
