import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime

/// `queue.publish` → `queue.consumer` (lua-api-io §7.3, §11.4): every message handled once it succeeds; a
/// handler that raises, returns `false` or `nil, err` gets its message again; manual settle with
/// `queue.message()`; bad input refused with the publisher running on.
@Suite struct QueueConsumerTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 2}
            lifecycle: {auto_start: true}
          - name: mem
            kind: queue.driver.memory
          - name: tasks
            kind: queue.queue
            driver: app:mem
            driver_options: {memory: {max_length: 5}}
          - name: results
            kind: store.memory
          - name: handle
            kind: function.lua
            method: handle
            modules: [queue, store, logger]
            source: |
              local queue = require("queue")
              local store = require("store")
              local logger = require("logger")
              return { handle = function(task)
                local msg = assert(queue.message())
                local s = store.get("app:results")
                local first = s:put("attempt:" .. task.n, 1, {only_if_absent = true})
                if task.mode == "raise" and first then error("crash on first attempt") end
                if task.mode == "refuse" and first then return false end
                if task.mode == "fail" and first then return nil, "failed on first attempt" end
                local attempts = first and 1 or 2
                if task.mode == "manual" then
                  msg:ack()
                  local _, again = msg:ack()
                  s:set("manual", again:message())
                end
                s:set("done:" .. task.n, {attempts = attempts, header = msg:header("source"), id = #msg:id()})
                local page = s:list({prefix = "done:"})
                if #page.items == task.total then logger:info("all " .. task.total .. " handled") end
                return true
              end }
          - name: workers
            kind: queue.consumer
            queue: app:tasks
            func: app:handle
            concurrency: 3
            prefetch: 2
          - name: producer
            kind: process.lua
            modules: [queue]
            source: |
              local queue = require("queue")
              return { main = function(total)
                local out = {}
                local modes = {"raise", "refuse", "fail", "manual"}
                for n = 1, total do
                  local ok, err = queue.publish("app:tasks", {n = n, total = total, mode = modes[n] or "plain"}, {source = "producer", bad = {1}})
                  if not ok then error(err) end
                end
                local _, e1 = queue.publish("app:tasks", nil)
                local _, e2 = queue.publish("app:tasks", {})
                local _, e3 = queue.publish("app:tasks", function() end)
                local _, e4 = queue.publish("app:nothing", {n = 1})
                local _, e5 = queue.message()
                out[#out + 1] = table.concat({e1:kind(), e2:kind(), e3:kind(), e4:kind(), e5:message()}, ", ")
                return table.concat(out, "\\n")
              end }
          - name: report
            kind: process.lua
            modules: [store]
            source: |
              local store = require("store")
              return { main = function(total)
                local s = store.get("app:results")
                local lines = {}
                for n = 1, total do
                  local r = s:get("done:" .. n)
                  lines[#lines + 1] = n .. ":" .. r.attempts .. ":" .. tostring(r.header) .. ":" .. r.id
                end
                lines[#lines + 1] = s:get("manual")
                return table.concat(lines, " ")
              end }
        """

    final class App: TestApplication {
        init() throws { try super.init(index: QueueConsumerTests.project, history: .memory) }

        func run(_ id: String, _ arguments: [Payload] = []) async throws -> ProcessResult {
            let program = try #require(app.runtime.program(EntryID(parsing: id)))
            let host = try #require(app.node.host("app:processes"))
            return await withCheckedContinuation { continuation in
                let options = SpawnOptions(onExit: { _, result in continuation.resume(returning: result) })
                app.node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
            }
        }
    }

    @Test func tasksAreHandledAndFailedOnesRedelivered() async throws {
        let app = try App()
        #expect(await app.log.wait(for: "service app:workers is running") != nil)
        let total = 40
        // More messages than the queue holds (max_length 5): the producer waits for room.
        let produced = try await app.run("app:producer", [.int(Int64(total))])
        #expect(produced.error == nil)
        #expect(produced.value.stringValue == "Invalid, Invalid, Invalid, Internal, no delivery found in context")
        #expect(await app.log.wait(for: "all \(total) handled", within: .seconds(30)) != nil)
        let report = try await app.run("app:report", [.int(Int64(total))])
        var expected = (1...total).map { n in "\(n):\(n <= 3 ? 2 : 1):producer:36" }
        expected.append("queue.Message already settled")
        #expect(report.value.stringValue == expected.joined(separator: " "))
        #expect(app.log.first("queue consumer app:workers: app:handle failed") != nil)
    }
}
