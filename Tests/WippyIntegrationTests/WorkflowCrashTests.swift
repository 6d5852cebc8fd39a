import Foundation
import Testing
import WippyCore
import WippyStore

/// `kill -9` in the middle of a saga with compensation: after a restart the run resumes from its journal and
/// completes, and each step's result is journaled exactly once (issue 8, item 8a).
@Suite struct WorkflowCrashTests {
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
            host: {workers: 2}
            lifecycle: {auto_start: true}
          - name: step
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(i) logger:info("step " .. i) return i * 10 end }
          - name: ship
            kind: function.lua
            method: main
            source: |
              return { main = function(order) error("carrier down for " .. order) end }
          - name: undo
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(value) logger:info("undo " .. value) return true end }
          - name: report
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(count, reason) logger:info("saga report " .. count .. " " .. reason) return true end }
          - name: note
            kind: function.lua
            method: main
            source: |
              return { main = function(text) return #text end }
          - name: saga
            kind: workflow.lua
            method: main
            modules: [funcs, time, uuid]
            source: |
              local funcs = require("funcs")
              local time = require("time")
              local uuid = require("uuid")
              -- What a replay must compute again exactly: pairs order, random, uuid, clock, tostring.
              local function fingerprint()
                local t = {}
                for i = 1, 30 do t["key" .. i] = i end
                local order = {}
                for k in pairs(t) do order[#order + 1] = k end
                return table.concat(order, ",") .. "|" .. math.random(1000000) .. "|" .. uuid.v4() .. "|"
                  .. tostring(time.now():unix()) .. "|" .. tostring({})
              end
              return { main = function(order)
                local first = fingerprint()
                funcs.call("app:note", first)
                local done = {}
                for i = 1, 8 do
                  table.insert(done, funcs.call("app:step", i))
                  -- after step 3, a long durable timer: the test kills the runtime during it, and the
                  -- restarted runtime fires it at its recorded time
                  time.sleep(i == 3 and "4s" or "20ms")
                end
                local shipped, err = funcs.call("app:ship", order)
                if not shipped then
                  for i = #done, 1, -1 do funcs.call("app:undo", done[i]) end
                end
                funcs.call("app:report", #done, err and err:message() or "shipped")
                -- computed again on replay after the restart: must equal what the first run journaled
                funcs.call("app:note", first)
                return #done
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local pid, err = process.with_options({["temporal.workflow.id"] = "saga-1"})
                  :spawn("app:saga", "app:workflows", "order-7")
                logger:info("client got " .. tostring(pid or err))
                process.inbox():receive()
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    @Test func aSagaKilledMidRunResumesAndJournalsEachStepOnce() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index])
        do {
            let first = try RunningWippy(["run", "--history", "memory"], in: project.root)
            first.signal(SIGKILL, when: "step 3")
            #expect(await first.waitFor("step 3", on: .stdout, within: .seconds(60)), "stdout: \(first.stdout)\nstderr: \(first.stderr)")
            _ = await first.exit(within: .seconds(20))
            #expect(!first.stdout.contains("saga report"))
        }
        let second = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { second.signal(SIGKILL) }
        #expect(await second.waitFor("saga report 8 ", within: .seconds(60)), "stdout: \(second.stdout)\nstderr: \(second.stderr)")
        #expect(second.stdout.contains("resumed 1 unfinished workflow run") || second.stderr.contains("resumed 1 unfinished workflow run"))
        second.signal(SIGTERM)
        _ = await second.exit(within: .seconds(30))

        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let records = try await store.list()
        #expect(records.map(\.run.workflowID) == ["saga-1"])
        let record = try #require(records.first)
        #expect(record.status == .completed)
        let run = try #require(try await store.load(record.run))
        let calls = run.events.filter { $0.kind == "call" }
        #expect(calls.map(\.key) == ["app:note"] + Array(repeating: "app:step", count: 8) + ["app:ship"]
            + Array(repeating: "app:undo", count: 8) + ["app:report", "app:note"])
        // The fingerprint the replay computed after the restart is the one the first run journaled.
        let notes = try calls.filter { $0.key == "app:note" }.map { try WorkflowJournalCodec.decodeCommand($0.payload)["args"] }
        #expect(notes.count == 2 && notes[0] == notes[1], "\(notes)")
        // Each call has exactly one result, journaled after it.
        for call in calls {
            let results = run.events.filter { $0.kind == "result" && $0.key == String(call.seq) }
            #expect(results.count == 1, "call \(call.seq) \(call.key) has \(results.count) results")
            #expect((results.first?.seq ?? 0) > call.seq)
        }
        #expect(run.events.filter { $0.kind == "timer" }.count == 8)
        #expect(run.events.filter { $0.kind == "fired" }.count == 8)
        let result = try PayloadArchive.decode(try #require(record.result))
        #expect(result.intValue == 8)
        // Compensation ran in reverse order with the recorded step results.
        let undone = second.stdout.components(separatedBy: "\n").filter { $0.contains("undo ") }
        #expect(undone.count == 8, "\(undone)")
    }
}
