import Foundation
import Logging
import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyRuntime

/// A workflow entry changed through the registry API: the runtime replays the journals of its runs in flight
/// against the new code in the background and puts the counts on the bus (`workflow.replay_check`), naming
/// the runs that would diverge; the runs keep their pinned code (issue 8, item 4).
@Suite struct WorkflowReplayCheckTests {
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
          - name: step
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(i) logger:info("step " .. i) return i end }
          - name: flow
            kind: workflow.lua
            method: main
            modules: [funcs]
            source: |
              local funcs = require("funcs")
              return { main = function(i)
                funcs.call("app:step", i)
                return process.inbox():receive():payload():data()
              end }
          - name: client
            kind: process.lua
            method: main
            source: |
              return { main = function()
                for i = 1, 2 do process.with_options({["workflow.id"] = "w-" .. i}):spawn("app:flow", "app:workflows", i) end
                process.events():receive()
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    static func flow(_ source: String) -> Entry {
        Entry(
            id: EntryID(parsing: "app:flow"), kind: "workflow.lua",
            data: .map([("method", "main"), ("modules", .array(["funcs"])), ("source", .string(source))]))
    }

    /// Waits until `count` events of `kind` arrived (polling the recorder, at most `seconds`).
    static func events(_ recorded: RecordedEvents, _ kind: String, count: Int, seconds: Double = 30) async throws -> [BusEvent] {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            let found = recorded.events.filter { $0.kind == kind }
            if found.count >= count { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return recorded.events.filter { $0.kind == kind }
    }

    /// Runs the application of `index`, its `workflow` bus events recorded, until `body` returns; `body`
    /// starts once both runs have journaled their call of the step (it is journaled before the step runs).
    static func withRunsInFlight(
        _ index: String, _ body: (Application, LogSignals, RecordedEvents) async throws -> Void
    ) async throws {
        let project = try TemporaryProject()
        defer { project.remove() }
        try project.writeLock()
        try project.write("src/_index.yaml", index)
        let log = LogSignals()
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        let app = try Application(
            options: options, modules: StandardModules.all(terminal: nil),
            logger: Logger(label: "test") { _ in SignalsHandler(signals: log) })
        let recorded = RecordedEvents()
        let subscription = try app.bus.subscribe(system: "workflow", receiver: recorded)
        defer { app.bus.unsubscribe(subscription) }
        app.start()
        defer { app.shutdown() }
        #expect(await log.wait(for: "step 1", within: .seconds(30)) != nil, "\(log.messages)")
        #expect(await log.wait(for: "step 2", within: .seconds(30)) != nil, "\(log.messages)")
        try await body(app, log, recorded)
    }

    @Test func aChangedWorkflowIsReplayedAgainstItsRunsInFlight() async throws {
        try await Self.withRunsInFlight(Self.index) { app, log, recorded in
            // A change after the part the journals hold: both replay cleanly.
            try app.registry.apply([.update(Self.flow("""
                local funcs = require("funcs")
                return { main = function(i)
                  funcs.call("app:step", i)
                  local value = process.inbox():receive():payload():data()
                  return value * 2
                end }
                """))])
            let first = try #require(try await Self.events(recorded, "workflow.replay_check", count: 1).first)
            #expect(first.path == "app:flow")
            #expect(first.data["runs"]?.intValue == 2)
            #expect(first.data["clean"]?.intValue == 2, "\(first.data)")
            #expect(first.data["diverged"]?.intValue == 0)

            // A change to what the journals hold: both would diverge, and say so.
            try app.registry.apply([.update(Self.flow("""
                local funcs = require("funcs")
                return { main = function(i)
                  funcs.call("app:audit", i)
                  return process.inbox():receive():payload():data()
                end }
                """))])
            let checks = try await Self.events(recorded, "workflow.replay_check", count: 2)
            let second = try #require(checks.count == 2 ? checks[1] : nil)
            #expect(second.data["diverged"]?.intValue == 2, "\(second.data)")
            #expect(second.data["clean"]?.intValue == 0)
            #expect(second.data["diverging"] == .array(["w-1", "w-2"]))
            #expect(log.messages.filter { $0.contains("would diverge under the changed code") && $0.contains("expected call app:step") }.count == 2)

            // The runs keep their pinned code: a message ends each with the first code's result.
            for i in 1...2 {
                // Through the host's engine: the run may have left memory (a slow machine passes `evict_after`).
                let gateway = try #require(app.node.gateway(forHost: "app:workflows"))
                gateway.signal(workflowID: "w-\(i)", Message(from: nil, topic: "go", payloads: [.int(Int64(i * 5))])) { _ in }
            }
            let completed = try await Self.events(recorded, "workflow.completed", count: 2)
            #expect(completed.count == 2)
            // Neither the checks nor the runs blocked.
            #expect(!recorded.events.contains { $0.kind == "workflow.blocked" })
        }
    }

    /// A library a workflow imports changes: the workflow's code as it now runs changed too, so its runs in
    /// flight are replayed against it, and a library that changes what the workflow does is reported.
    @Test func aChangedLibraryIsReplayedAgainstTheRunsOfItsImporters() async throws {
        let index = Self.index
            .replacingOccurrences(of: """
              - name: flow
                kind: workflow.lua
                method: main
                modules: [funcs]
            """, with: """
              - name: names
                kind: library.lua
                source: |
                  return { target = function() return "app:step" end }
              - name: flow
                kind: workflow.lua
                method: main
                modules: [funcs]
                imports: {names: app:names}
            """)
            .replacingOccurrences(of: "funcs.call(\"app:step\", i)", with: "funcs.call(names.target(), i)")
        #expect(index.contains("names.target()"))
        try await Self.withRunsInFlight(index) { app, _, recorded in
            try app.registry.apply([.update(Entry(
                id: EntryID(parsing: "app:names"), kind: "library.lua",
                data: .map([("source", .string("return { target = function() return \"app:audit\" end }"))])))])
            let check = try #require(try await Self.events(recorded, "workflow.replay_check", count: 1).first)
            #expect(check.path == "app:flow")
            #expect(check.data["runs"]?.intValue == 2)
            #expect(check.data["diverged"]?.intValue == 2, "\(check.data)")
        }
    }
}
