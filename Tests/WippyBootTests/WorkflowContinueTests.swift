import Foundation
import Testing
import WippyBoot
import WippyCore
import WippyRuntime
import WippyStore

/// `process.upgrade` inside a workflow is continue-as-new (durable-cluster-ai §1.3; issue 8, item 2): the run
/// ends as `continued`, naming its successor, a new run of the same workflow id with the new arguments (and
/// entry) and a fresh journal; the PID stays, signals not yet received carry over, and the monitor sees one
/// EXIT, when the last run ends.
@Suite struct WorkflowContinueTests {
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
          - name: step
            kind: function.lua
            method: main
            source: |
              return { main = function(i) return i * i end }
          - name: looper
            kind: workflow.lua
            method: main
            modules: [funcs, workflow]
            source: |
              local funcs = require("funcs")
              local workflow = require("workflow")
              return { main = function(state)
                if not state then
                  local ok, err = process.upgrade("app:nowhere", 1)
                  state = { i = 0, sum = 0, runs = { workflow.info().run_id }, refused = tostring(err) }
                end
                while state.i < 12 do
                  state.sum = state.sum + funcs.call("app:step", state.i)
                  state.i = state.i + 1
                  if workflow.history_length() > 6 then
                    local info = workflow.info()
                    state.runs[#state.runs + 1] = "after " .. info.run_id
                    return process.upgrade(nil, state)
                  end
                end
                process.upgrade("app:finisher", state)
                return "not reached"
              end }
          - name: finisher
            kind: workflow.lua
            method: main
            modules: [workflow]
            source: |
              local workflow = require("workflow")
              return { main = function(state)
                local inbox = process.inbox()
                local a = inbox:receive()
                local b = inbox:receive()
                return { sum = state.sum, runs = #state.runs, refused = state.refused,
                         notes = a:payload():data() .. b:payload():data(), me = process.pid(),
                         history = workflow.history_length(), entry = workflow.info().entry }
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger, json]
            source: |
              local logger = require("logger")
              local json = require("json")
              return { main = function()
                local pid = process.with_options({["workflow.id"] = "loop-1"}):spawn_monitored("app:looper", "app:workflows")
                logger:info("started " .. tostring(pid))
                process.send(pid, "note", "a")
                process.send(pid, "note", "b")
                local event = process.events():receive()
                logger:info("exit " .. event.kind .. " " .. json.encode(event.result.value or tostring(event.result.error)))
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test func aLoopContinuesAsNewUntilItEndsAndItsMonitorSeesOneExit() async throws {
        let app = try TestApplication(index: Self.project, history: .memory)
        let started = await app.log.wait(for: "started ", within: .seconds(30))
        #expect(started == "started {app:workflows@app:workflows|loop-1}")
        let exit = try #require(await app.log.wait(for: "exit ", within: .seconds(30)), "\(app.log.messages)")
        #expect(exit.hasPrefix("exit pid.exit "), "\(exit)")
        let json = try #require(exit.split(separator: " ", maxSplits: 2).last.map(String.init))
        let value = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(exit)")
        // The first EXIT is the last run's: the whole sum (0² + ... + 11²), the signals sent to the first run.
        #expect(value["sum"] as? Int == 506)
        #expect(value["notes"] as? String == "ab")
        #expect(value["me"] as? String == "{app:workflows@app:workflows|loop-1}")
        #expect(value["entry"] as? String == "app:finisher")
        #expect((value["refused"] as? String)?.contains("app:nowhere") == true, "\(value)")
        // The last run's journal is its own: its start and the two signals it inherited.
        #expect(value["history"] as? Int == 3, "\(value)")

        let store = try SQLiteWorkflowStore(path: app.project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let records = try await store.list().filter { $0.run.workflowID == "loop-1" }
        // The looper's runs (each noted its run in the state it handed down), then the finisher's. Every
        // iteration adds 2 events, and the two signals handed down 2 more: at most 3 iterations per run.
        #expect(value["runs"] as? Int == records.count - 1, "\(value) \(records.count)")
        #expect(records.count >= 6, "\(records.map(\.status))")
        #expect(records.dropLast().allSatisfy { $0.status == .continued && $0.entry.description == "app:looper" })
        #expect(records.last?.status == .completed)
        #expect(records.last?.entry.description == "app:finisher")
        var steps: [String] = []
        for (index, record) in records.enumerated() {
            let run = try #require(try await store.load(record.run))
            // Each run's journal is short: a start, what it inherited, its own steps.
            #expect(run.events.count <= 9, "\(record.run): \(run.events.map(\.kind))")
            #expect(run.events.first?.kind == "start")
            steps += run.events.filter { $0.kind == "call" }.map(\.key)
            let input = try PayloadArchive.decode(record.input)
            if index > 0 {
                // The chain: each run names its successor, each successor its predecessor.
                let result = try PayloadArchive.decode(try #require(records[index - 1].result))
                #expect(result["continued_as"]?.stringValue == record.run.runID)
                #expect(input["continued_from"]?.stringValue == records[index - 1].run.runID)
                #expect(WorkflowFormatter.continuedAs(records[index - 1]) == record.run.runID)
            } else {
                #expect(input["continued_from"] == nil)
            }
        }
        // Each step ran in exactly one run.
        #expect(steps == Array(repeating: "app:step", count: 12))
        // The signals were journaled by the first run, which never received them, and handed down.
        let first = try #require(try await store.load(records[0].run))
        #expect(first.events.filter { $0.kind == "signal" }.count == 2, "\(first.events.map(\.kind))")
        let lastRecord = try #require(records.last)
        let last = try #require(try await store.load(lastRecord.run))
        #expect(last.events.map(\.kind) == ["start", "signal", "signal"])
        // The client got one event only (its exit was the last thing it logged).
        #expect(app.log.messages.filter { $0.hasPrefix("exit ") }.count == 1)
        let reader = try SQLiteWorkflowReader(path: app.project.root + "/.wippy/workflows.db")
        defer { reader.close() }
        let summaries = try reader.summaries(workflowID: "loop-1")
        #expect(WorkflowFormatter.summary(summaries[0])["continued_as"]?.stringValue == records[1].run.runID)
        #expect(WorkflowFormatter.summary(summaries[1])["continued_from"]?.stringValue == records[0].run.runID)
        let shown = summaries.map(WorkflowFormatter.details)
        #expect(shown.first?.contains("Status: continued\n") == true)
        #expect(shown.first?.contains("Continued as: run \(records[1].run.runID)\n") == true, "\(shown.first ?? "")")
        #expect(shown.last?.contains("Continues: run \(records[records.count - 2].run.runID)") == true, "\(shown.last ?? "")")
    }

    /// A watcher that joins workflow loop-2 (started before, recovered at boot), sends it a note and waits for
    /// its end.
    static let watcherProject = project.replacingOccurrences(of: "auto_start: true, depends_on", with: "auto_start: false, depends_on") + """

          - name: watcher
            kind: process.lua
            method: main
            modules: [logger, json]
            source: |
              local logger = require("logger")
              local json = require("json")
              return { main = function()
                local pid = process.with_options({["workflow.id"] = "loop-2"}):spawn_monitored("app:looper", "app:workflows")
                process.send(pid, "note", "y")
                local event = process.events():receive()
                logger:info("watched " .. json.encode(event.result.value or tostring(event.result.error)))
              end }
          - name: watcher.service
            kind: process.service
            process: watcher
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    /// The moment after the continue's commit and before its successor ran: the store holds the old run as
    /// continued and the successor with only its start (one transaction wrote both), plus a signal row for
    /// the workflow. A runtime that boots on it runs the successor, which takes the signal, continues and
    /// finishes; a watcher that joins the workflow by its id sees its end.
    @Test func aSuccessorLeftInTheStoreIsRunAtBootAndTakesTheWorkflowsSignals() async throws {
        let app = try TestApplication(index: Self.watcherProject, history: .memory) { project in
            let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
            defer { store.close() }
            let state = Payload.map([
                ("i", .int(9)), ("sum", .int(204)), ("runs", .array([.string("r1"), .string("r2"), .string("r3"), .string("r4")])),
                ("refused", .string("earlier")),
            ])
            func input(_ extra: [(String, Payload)]) throws -> [UInt8] {
                try PayloadArchive.encode(.map([("args", .array([state])), ("context", .map([])), ("host", .string("app:workflows"))] + extra))
            }
            let previous = WorkflowRecord(
                run: WorkflowRunID(workflowID: "loop-2", runID: "r3"), entry: EntryID(parsing: "app:looper"), entryKind: "workflow.lua",
                registryVersion: 0, input: try input([]), host: "app:workflows")
            let next = WorkflowRecord(
                run: WorkflowRunID(workflowID: "loop-2", runID: "r4"), entry: EntryID(parsing: "app:looper"), entryKind: "workflow.lua",
                registryVersion: 0, input: try input([("continued_from", .string("r3"))]), host: "app:workflows")
            let done = DispatchSemaphore(value: 0)
            let failure = LockedError()
            store.submit(.start(previous, events: [WorkflowSession.startEvent(time: 1, seed: 7)])) { failure.note($0) }
            var write = WorkflowWrite(run: previous.run, status: .continued, result: try PayloadArchive.encode(.map([("continued_as", .string("r4"))])))
            write.successor = WorkflowSuccessor(record: next, events: [WorkflowSession.startEvent(time: 2, seed: 8)])
            store.submit(write) { failure.note($0) }
            let row = WorkflowSignalEnvelope.message(Message(from: nil, topic: "note", payloads: [.string("x")])).row
            store.signal(workflowID: "loop-2", topic: row.topic, sender: row.sender, payload: row.payload) { result in
                failure.note(result.map { _ in () })
                done.signal()
            }
            done.wait()
            if let error = failure.error { throw error }
        }
        let watched = try #require(await app.log.wait(for: "watched ", within: .seconds(30)), "\(app.log.messages)")
        let json = try #require(watched.split(separator: " ", maxSplits: 1).last.map(String.init))
        let value = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(watched)")
        // 0² + ... + 8² came with the state; the successor and its own successors added 9² + 10² + 11².
        #expect(value["sum"] as? Int == 506, "\(value)")
        // The row and the live note, in either order (the row is read while the note may already arrive).
        #expect(["xy", "yx"].contains(value["notes"] as? String ?? ""), "\(value)")
        #expect(value["refused"] as? String == "earlier")

        let store = try SQLiteWorkflowStore(path: app.project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let records = try await store.list().filter { $0.run.workflowID == "loop-2" }
        // r3, r4 (left in the store), then the runs it continued as (how many depends on when the live note
        // arrived), the last one the finisher's.
        #expect(records.map(\.run.runID).prefix(2) == ["r3", "r4"])
        #expect(records.count >= 4, "\(records.map(\.status))")
        #expect(records.dropLast().allSatisfy { $0.status == .continued && $0.entry.description == "app:looper" })
        #expect(records.last?.status == .completed)
        #expect(records.last?.entry.description == "app:finisher")
        #expect(try await store.pendingSignals(workflowID: "loop-2").isEmpty)
        #expect(records.dropFirst().map { WorkflowFormatter.continuedFrom($0) } == records.dropLast().map(\.run.runID))
        // The row was taken by the successor left in the store (journaled as its signal), and handed down. The
        // watcher's live note is journaled by whichever run is running when it arrives: r4 when it comes early,
        // a later run under load (the finisher's "xy"/"yx" above shows it was delivered either way).
        let successor = try #require(try await store.load(records[1].run))
        let signals = successor.events.filter { $0.kind == "signal" }.count
        #expect(signals == 1 || signals == 2, "\(successor.events.map(\.kind))")
    }
}

/// The first error of a store's completions, for a test that writes a store before boot.
final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: WippyError?

    func note(_ result: Result<Void, WippyError>) {
        lock.lock()
        defer { lock.unlock() }
        if case .failure(let error) = result, first == nil { first = error }
    }

    var error: WippyError? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }
}
