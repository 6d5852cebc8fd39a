import Foundation
import Testing
import WippyCore
import WippyStore

/// `funcs.async` (with `future:cancel()`) and `time.after`/`timer`/`ticker` inside a workflow are journaled:
/// `kill -9` during a long durable `time.after`, restart, and the replay reaches the same point without
/// running an activity again or restarting the canceled one, then completes (issue 8, items 2-3).
@Suite struct WorkflowAsyncTimerCrashTests {
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
          - name: double
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(n) logger:info("double ran " .. n) return n * 2 end }
          - name: hang
            kind: function.lua
            method: main
            modules: [logger, time]
            source: |
              local logger = require("logger")
              local time = require("time")
              return { main = function() logger:info("hang started") time.sleep("1h") return "never" end }
          - name: mark
            kind: function.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function(text) logger:info("mark " .. text) return true end }
          - name: effects
            kind: workflow.lua
            method: main
            modules: [funcs, time]
            source: |
              local funcs = require("funcs")
              local time = require("time")
              return { main = function(n, long)
                -- async activities: one awaited on its channel, one through select, one canceled
                local f = funcs.async("app:double", n)
                local hang = funcs.async("app:hang")
                local v = f:channel():receive()
                local f2 = funcs.async("app:double", n + 1)
                local r = channel.select({ f2:channel():case_receive(), time.after("1h"):case_receive() })
                local via = (r.channel == f2:channel()) and r.value:data() or "timeout"
                hang:cancel()
                local _, herr = hang:result()
                -- durable timers: after, a stopped timer, a reset timer, a fired timer stopped late, a ticker
                time.after("30ms"):receive()
                local stopped = time.timer("10s"):stop()
                local t2 = time.timer("10s")
                local reset = t2:reset("20ms")
                t2:channel():receive()
                local t3 = time.timer("5ms")
                t3:channel():receive()
                local late = t3:stop()
                local ticker = time.ticker("15ms")
                local ticks = 0
                for _ = 1, 3 do
                  local _, ok = ticker:channel():receive()
                  if ok then ticks = ticks + 1 end
                end
                ticker:stop()
                local summary = string.format("v=%s via=%s canceled=%s kind=%s stop=%s reset=%s late=%s ticks=%d",
                  tostring(v:data()), tostring(via), tostring(hang:is_canceled()), herr and herr:kind() or "none",
                  tostring(stopped), tostring(reset), tostring(late), ticks)
                if long then
                  funcs.call("app:mark", "before long")
                  time.after(long):receive()
                end
                funcs.call("app:mark", "done " .. summary)
                return summary
              end }
          - name: client
            kind: process.lua
            method: main
            modules: [logger]
            source: |
              local logger = require("logger")
              return { main = function()
                local pid, err = process.with_options({["workflow.id"] = "fx-1"}):spawn("app:effects", "app:workflows", 20, "3s")
                logger:info("client got " .. tostring(pid or err))
                process.events():receive()
              end }
          - name: client.service
            kind: process.service
            process: client
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:workflows]}
        """

    static let summary = "v=40 via=42 canceled=true kind=Canceled stop=true reset=true late=false ticks=3"

    @Test func asyncCallsAndChannelTimersReplayAfterAKill() async throws {
        let project = try TemporaryProject(files: ["src/_index.yaml": Self.index])
        let firstOutput: String
        do {
            let first = try RunningWippy(["run", "--history", "memory"], in: project.root)
            first.signal(SIGKILL, when: "mark before long")
            #expect(await first.waitFor("mark before long", within: .seconds(60)), "stdout: \(first.stdout)\nstderr: \(first.stderr)")
            _ = await first.exit(within: .seconds(20))
            firstOutput = first.stdout
            #expect(!firstOutput.contains("mark done"))
        }
        let second = try RunningWippy(["run", "--history", "memory"], in: project.root)
        defer { second.signal(SIGKILL) }
        #expect(await second.waitFor("mark done ", within: .seconds(60)), "stdout: \(second.stdout)\nstderr: \(second.stderr)")
        second.signal(SIGTERM)
        _ = await second.exit(within: .seconds(30))
        #expect(second.stdout.contains("mark done " + Self.summary), "\(second.stdout)")
        // The replay ran no activity again and did not restart the canceled one.
        #expect(firstOutput.components(separatedBy: "double ran ").count - 1 == 2, "\(firstOutput)")
        #expect(firstOutput.components(separatedBy: "hang started").count - 1 == 1, "\(firstOutput)")
        #expect(!second.stdout.contains("double ran"), "\(second.stdout)")
        #expect(!second.stdout.contains("hang started"), "\(second.stdout)")

        let store = try SQLiteWorkflowStore(path: project.root + "/.wippy/workflows.db")
        defer { store.close() }
        let record = try #require(try await store.list().first { $0.run.workflowID == "fx-1" })
        #expect(record.status == .completed, "\(String(decoding: record.result ?? [], as: UTF8.self))")
        let run = try #require(try await store.load(record.run))
        let calls = run.events.filter { $0.kind == "call" }
        #expect(calls.map(\.key) == ["app:double", "app:hang", "app:double", "app:mark", "app:mark"])
        // Each activity has one answer; the canceled one's is a canceled error journaled by its cancel.
        for call in calls where call.key != "app:mark" {
            let results = run.events.filter { $0.kind == "result" && $0.key == String(call.seq) }
            #expect(results.count == 1, "call \(call.seq) \(call.key) has \(results.count) results")
        }
        let hang = try #require(calls.first { $0.key == "app:hang" })
        #expect(run.events.filter { $0.kind == "cancel_call" }.map(\.key) == [String(hang.seq)])
        let hangResult = try #require(run.events.first { $0.kind == "result" && $0.key == String(hang.seq) })
        #expect(try WorkflowJournalCodec.decodeEvent(hangResult.payload).body["canceled"] == .bool(true))
        // Timers: select's after, after, stopped, t2 + reset, t3, ticker + 3 re-arms, the long after.
        #expect(run.events.filter { $0.kind == "timer" }.count == 11)
        #expect(run.events.filter { $0.kind == "cancel_timer" }.count == 3)
        // after, t2, t3, three ticks, the long after: each fired once (the stopped ones never).
        #expect(run.events.filter { $0.kind == "fired" }.count == 7)
        let result = try PayloadArchive.decode(try #require(record.result))
        #expect(result.stringValue == Self.summary)
    }
}
