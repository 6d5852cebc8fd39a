import Testing
import WippyBoot
import WippyCore

/// `process.terminate` of a workflow answers once its engine has written the end: `true` for a run it
/// terminated, `nil, err` for a run that had already ended (it used to answer `true` before knowing).
@Suite struct WorkflowTerminateTests {
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
            lifecycle: {auto_start: true}
          - name: waiter
            kind: workflow.lua
            method: main
            source: |
              return { main = function() return process.inbox():receive():payload():data() end }
          - name: quick
            kind: workflow.lua
            method: main
            source: |
              return { main = function() return "done" end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local waiting = process.spawn_monitored("app:waiter", "app:workflows")
                local ok, err = process.terminate(waiting)
                logger:info("running: " .. tostring(ok) .. " " .. tostring(err))
                local event = process.events():receive()
                logger:info("exit: " .. tostring(event.result and event.result.error))
                local quick = process.spawn_monitored("app:quick", "app:workflows")
                process.events():receive()
                ok, err = process.terminate(quick)
                logger:info("ended: " .. tostring(ok) .. " " .. tostring(err and err:kind()))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test func terminateAnswersWhatTheEngineDid() async throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        #expect(await app.log.wait(for: "running: ", within: .seconds(30)) == "running: true nil", "\(app.log.messages)")
        let exit = await app.log.wait(for: "exit: ", within: .seconds(30))
        #expect(exit?.contains("terminated") == true, "\(app.log.messages)")
        #expect(await app.log.wait(for: "ended: ", within: .seconds(30)) == "ended: nil NotFound", "\(app.log.messages)")
    }
}
