import Foundation
import Logging
import Testing
import WippyBoot
import WippyCore
import WippyStore

/// Workflows end to end on an embedded store: `process.spawn` to a `workflow.host` starts a durable run with
/// a workflow PID; activities, durable timers and signals are journaled; EXIT reaches the monitor; the
/// journal holds each step once (issue 8, items 1-3 and 5).
@Suite struct WorkflowRunTests {
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
          - name: double
            kind: function.lua
            method: main
            source: |
              return { main = function(n) return n * 2 end }
          - name: order
            kind: workflow.lua
            method: main
            modules: [funcs, time]
            source: |
              local funcs = require("funcs")
              local time = require("time")
              return { main = function(n)
                local doubled = funcs.call("app:double", n)
                local missing, err = funcs.call("app:nowhere", 1)
                time.sleep("20ms")
                local msg = process.inbox():receive()
                return { doubled = doubled, approved = msg:payload():data(), from = msg:from(),
                         missing = tostring(err), me = process.pid() }
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger, json]
            source: |
              local logger = require("logger")
              local json = require("json")
              return { main = function()
                local pid, err = process.with_options({["temporal.workflow.id"] = "order-1"})
                  :spawn_monitored("app:order", "app:workflows", 21)
                if not pid then logger:info("spawn failed " .. tostring(err)) return end
                logger:info("started " .. pid)
                local again = process.with_options({["temporal.workflow.id"] = "order-1"}):spawn("app:order", "app:workflows", 5)
                logger:info("again " .. tostring(again))
                process.send(pid, "approve", "yes")
                local event = process.events():receive()
                logger:info("exit " .. event.kind .. " " .. json.encode(event.result.value))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test func aWorkflowRunsItsStepsOnceAndReportsItsExit() async throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let started = await app.log.wait(for: "started ", within: .seconds(30))
        #expect(started == "started {app:workflows@app:workflows|order-1}")
        #expect(await app.log.wait(for: "again ", within: .seconds(30)) == "again {app:workflows@app:workflows|order-1}")
        let exit = try #require(await app.log.wait(for: "exit ", within: .seconds(30)), "\(app.log.messages)")
        #expect(exit.hasPrefix("exit pid.exit "))
        let json = try #require(exit.split(separator: " ", maxSplits: 2).last.map(String.init))
        let value = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(value["doubled"] as? Int == 42)
        #expect(value["approved"] as? String == "yes")
        #expect((value["from"] as? String)?.hasPrefix("{app:processes|") == true)
        #expect((value["missing"] as? String)?.contains("app:nowhere") == true)
        #expect(value["me"] as? String == "{app:workflows@app:workflows|order-1}")

        // The journal: start, call, result, call, result, timer, fired, signal, each once, and the run completed.
        let store = try SQLiteWorkflowStore(path: app.project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let records = try await store.list()
        #expect(records.count == 1)
        let record = try #require(records.first)
        #expect(record.status == .completed)
        let run = try #require(try await store.load(record.run))
        // The signal is journaled when it arrives, wherever that falls; it is delivered at a block point.
        #expect(run.events.map(\.kind).filter { $0 != "signal" } == ["start", "call", "result", "call", "result", "timer", "fired"])
        #expect(run.events.filter { $0.kind == "signal" }.map(\.key) == ["approve"])
        #expect(run.events.filter { $0.kind == "call" }.map(\.key) == ["app:double", "app:nowhere"])
    }

    static let temporalProject = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: temporal_client
            kind: temporal.client
            address: localhost:7233
          - name: worker
            kind: temporal.worker
            client: app:temporal_client
            task_queue: orders
            lifecycle: {auto_start: true}
          - name: charge
            kind: function.lua
            method: main
            meta: {temporal: {activity: {worker: app:worker}}}
            source: |
              return { main = function(order) return "charged " .. order end }
          - name: order_workflow
            kind: workflow.lua
            method: main
            modules: [funcs]
            meta: {temporal: {workflow: {worker: app:worker}}}
            source: |
              local funcs = require("funcs")
              return { main = function(order) return funcs.call("app:charge", order) end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local pid = process.with_options({}):with_name("order-123")
                  :spawn_monitored("app:order_workflow", "app:worker", "o-9")
                logger:info("pid " .. tostring(pid))
                local event = process.events():receive()
                logger:info("result " .. tostring(event.result.value))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:worker]}
        """

    /// A Wippy app written for Temporal runs unchanged on the embedded engine: `temporal.client` +
    /// `temporal.worker` become a workflow host, PIDs keep Temporal's shape, and boot says so.
    @Test func temporalEntriesAreServedByTheEmbeddedEngine() async throws {
        let app = try TestApplication(index: Self.temporalProject, history: .memory)
        #expect(await app.log.wait(for: "pid ", within: .seconds(30)) == "pid {app:temporal_client@app:worker|order-123}")
        #expect(await app.log.wait(for: "result ", within: .seconds(30)) == "result charged o-9")
        #expect(app.log.first("temporal.worker app:worker (task queue orders): served by the embedded workflow engine") != nil)
    }

    static let restrictedProject = """
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
          - name: idle
            kind: process.lua
            method: main
            source: |
              return { main = function() process.inbox():receive() end }
          - name: restricted
            kind: workflow.lua
            method: main
            modules: [time]
            source: |
              local time = require("time")
              return { main = function(other)
                local _, spawn_err = process.spawn("app:idle", "app:processes")
                local _, link_err = process.link(other)
                local _, monitor_err = process.monitor(other)
                return table.concat({ tostring(spawn_err), tostring(link_err), tostring(monitor_err) }, " | ")
              end }
          - name: forever
            kind: workflow.lua
            method: main
            source: |
              return { main = function() process.inbox():receive() end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local pid = process.spawn_monitored("app:restricted", "app:workflows", process.pid())
                local event = process.events():receive()
                logger:info("refusals " .. tostring(event.result.value))
                local long = process.with_options({["workflow.id"] = "forever-1"}):spawn_monitored("app:forever", "app:workflows")
                process.terminate(long)
                local ended = process.events():receive()
                logger:info("terminated " .. tostring(ended.result.error))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    /// Effects a journal cannot hold are refused inside workflows with clear errors; `process.terminate` of
    /// a workflow PID ends the run as terminated.
    @Test func unjournaledEffectsAreRefusedAndTerminateEndsTheRun() async throws {
        let app = try TestApplication(index: Self.restrictedProject, history: .memory)
        let refusals = try #require(await app.log.wait(for: "refusals", within: .seconds(30)), "\(app.log.messages)")
        #expect(refusals.contains("a workflow can only start child workflows"))
        #expect(refusals.contains("workflows cannot be linked"))
        #expect(refusals.contains("child workflows are monitored automatically"))
        let terminated = try #require(await app.log.wait(for: "terminated ", within: .seconds(30)), "\(app.log.messages)")
        #expect(terminated.contains("terminated"))
        let store = try SQLiteWorkflowStore(path: app.project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let statuses = try await store.list().map { ($0.run.workflowID, $0.status) }
        #expect(statuses.first { $0.0 == "forever-1" }?.1 == .terminated)
    }

    /// A `process.lua` entry run as a workflow: its `process.spawn(...)` statement is rewritten (the
    /// translator cannot know where the entry runs) and, in a run, bound to a Lua function calling the
    /// workflow's own `process.spawn`, so the statement still starts a journaled child workflow.
    static let statementSpawnProject = """
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
          - name: leaf
            kind: workflow.lua
            method: main
            source: |
              return { main = function(parent) process.send(parent, "leaf", 5) end }
          - name: runner
            kind: process.lua
            method: main
            source: |
              return { main = function()
                process.spawn("app:leaf", "app:workflows", process.pid())
                local msg = process.inbox():receive()
                return msg:topic() .. "=" .. tostring(msg:payload():data())
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                process.with_options({["workflow.id"] = "runner-1"}):spawn_monitored("app:runner", "app:workflows")
                local event = process.events():receive()
                logger:info("runner " .. tostring(event.result.value) .. " " .. tostring(event.result.error))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    /// Fails if the run's statement spawn calls nothing (a nil binding raises), starts no child workflow (no
    /// message arrives: the run never ends), or the journal lacks the child's start.
    @Test func aSpawnStatementInARunStartsAChildWorkflow() async throws {
        let app = try TestApplication(index: Self.statementSpawnProject, history: .memory)
        let line = try #require(await app.log.wait(for: "runner ", within: .seconds(30)), "\(app.log.messages)")
        #expect(line == "runner leaf=5 nil", "\(app.log.messages)")
        let store = try SQLiteWorkflowStore(path: app.project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let records = try await store.list()
        #expect(records.count == 2)
        #expect(records.allSatisfy { $0.status == .completed })
    }
}
