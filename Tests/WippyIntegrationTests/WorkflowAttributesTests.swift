import Foundation
import Testing
import WippyCore
import WippyStore

/// `workflow.attrs{search=, memo=}` and `workflow.expose(name, value)` are recorded with the run:
/// `wippy workflow show` prints their latest values, also while the runtime is down after a `kill -9`, and
/// the relaunched run replays them and goes on (issue 8, item 2: queries).
@Suite struct WorkflowAttributesTests {
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
          - name: mark
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(text) logger:info("mark " .. text) return true end }
          - name: approval
            kind: workflow.lua
            method: main
            modules: [funcs, workflow]
            source: |
              local funcs = require("funcs")
              local workflow = require("workflow")
              return { main = function(customer)
                workflow.attrs({ search = { customer = customer }, memo = { note = "first" } })
                local _, bad = workflow.attrs({ other = {} })
                workflow.expose("stage", "waiting")
                workflow.expose("progress", { done = 1, total = 2 })
                funcs.call("app:mark", "exposed " .. tostring(bad))
                local msg = process.inbox():receive()
                workflow.expose("stage", "approved by " .. msg:payload():data().by)
                workflow.attrs({ memo = { note = "second" } })
                funcs.call("app:mark", "finished")
                return "ok"
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local pid = process.with_options({["workflow.id"] = "w-attrs"}):spawn("app:approval", "app:workflows", "ana")
                logger:info("client has " .. tostring(pid))
                process.events():receive()
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test func attributesAndQueryStateAreShownAndSurviveARestart() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index])
        do {
            let first = try RunningWippy(["run", "--history", "memory"], in: project.root)
            first.signal(SIGKILL, when: "mark exposed")
            #expect(await first.waitFor("mark exposed", within: .seconds(60)), "stdout: \(first.stdout)\nstderr: \(first.stderr)")
            _ = await first.exit(within: .seconds(20))
            #expect(first.stdout.contains("mark exposed workflow.attrs: unknown field other"), "\(first.stdout)")
        }
        // The runtime is down: show reads what the run recorded from the store.
        let down = try await WippyBinary.run(["workflow", "show", "w-attrs"], in: project.root)
        #expect(down.status == 0, "\(down.stderr)")
        #expect(down.stdout.contains("Search attributes:\n  customer: \"ana\"\n"), "\(down.stdout)")
        #expect(down.stdout.contains("Memo:\n  note: \"first\"\n"), "\(down.stdout)")
        #expect(down.stdout.contains("Query state (workflow.expose):\n  stage: \"waiting\"\n  progress: "), "\(down.stdout)")

        let second = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { second.signal(SIGKILL) }
        // The run may be parked on its signal (then it stays a row until the signal comes) or still in flight.
        #expect(await second.waitFor("client has {app:workflows@app:workflows|w-attrs}", within: .seconds(60)), "\(second.stdout)\n\(second.stderr)")
        let signal = try await WippyBinary.run(["workflow", "signal", "w-attrs", "approve", #"{"by":"bo"}"#], in: project.root)
        #expect(signal.status == 0, "\(signal.stderr)")
        #expect(await second.waitFor("mark finished", within: .seconds(30)), "\(second.stdout)\n\(second.stderr)")
        second.signal(SIGTERM)
        _ = await second.exit(within: .seconds(30))

        let done = try await WippyBinary.run(["workflow", "show", "w-attrs"], in: project.root)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("Status: completed"), "\(done.stdout)")
        #expect(done.stdout.contains("Memo:\n  note: \"second\"\n"), "\(done.stdout)")
        #expect(done.stdout.contains("  stage: \"approved by bo\"\n"), "\(done.stdout)")
        let json = try await WippyBinary.run(["workflow", "show", "w-attrs", "--json"], in: project.root)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let attributes = try #require(object["attributes"] as? [String: Any], "\(json.stdout)")
        #expect((attributes["query"] as? [String: Any])?["stage"] as? String == "approved by bo")
        #expect((attributes["search"] as? [String: Any])?["customer"] as? String == "ana")
    }
}
