import GRDB
import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyRuntime

/// End to end (issue 9 item 5): a task queue with no HTTP. A producer publishes tasks, a pool of consumers
/// (`concurrency: 4`) computes each and writes the result to SQLite through `store.sql` (the `sql` module is
/// another part of the issue), some tasks fail on their first attempt and are redelivered; a reader lists
/// the results back.
@Suite struct TaskQueueAppTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 4}
            lifecycle: {auto_start: true}
          - name: db
            kind: db.sql.sqlite
            file: data/tasks.db
          - name: results
            kind: store.sql
            database: app:db
            table_name: results
          - name: attempts
            kind: store.memory
          - name: broker
            kind: queue.driver.memory
          - name: tasks
            kind: queue.queue
            driver: app:broker
          - name: process_task
            kind: function.lua
            method: run
            modules: [store, logger]
            source: |
              local store = require("store")
              local logger = require("logger")
              return { run = function(task)
                local attempts = store.get("app:attempts")
                local first = attempts:put("task:" .. task.id, 1, {only_if_absent = true})
                if task.id % 7 == 0 and first then error("flaky worker on task " .. task.id) end
                local sum = 0
                for _, v in ipairs(task.values) do sum = sum + v end
                local results = store.get("app:results")
                local ok, err = results:set(string.format("result:%04d", task.id), {id = task.id, action = task.action, sum = sum})
                if not ok then return nil, err end
                local page = results:list({prefix = "result:"})
                if #page.items == task.total then logger:info("tasks complete") end
                return true
              end }
          - name: workers
            kind: queue.consumer
            queue: app:tasks
            func: app:process_task
            concurrency: 4
            prefetch: 8
          - name: producer
            kind: process.lua
            modules: [queue]
            source: |
              local queue = require("queue")
              return { main = function(total)
                for id = 1, total do
                  local ok, err = queue.publish("app:tasks", {id = id, total = total, action = "sum", values = {id, id * 2, 3}})
                  if not ok then error(err) end
                end
                return total
              end }
          - name: reader
            kind: process.lua
            modules: [store]
            source: |
              local store = require("store")
              return { main = function()
                local results = store.get("app:results")
                local sums, cursor = {}, ""
                repeat
                  local page = assert(results:list({prefix = "result:", after = cursor, limit = 10}))
                  for _, item in ipairs(page.items) do sums[#sums + 1] = item.value.id .. "=" .. item.value.sum end
                  cursor = page.cursor
                until not page.has_more
                return table.concat(sums, " ")
              end }
        """

    @Test func producerQueueConsumersSQLite() async throws {
        let app = try CacheAppTests.App(index: Self.project, history: .memory) { project in
            try project.write("data/.keep", "")
            let queue = try DatabaseQueue(path: project.root + "/data/tasks.db")
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE results (key TEXT PRIMARY KEY, value BLOB, expires_at TEXT)")
            }
            try queue.close()
        }
        #expect(await app.log.wait(for: "service app:workers is running") != nil)
        let total = 60
        let produced = try await app.run("app:producer", [.int(Int64(total))])
        #expect(produced.value == .int(Int64(total)))
        #expect(await app.log.wait(for: "tasks complete", within: .seconds(30)) != nil)
        let read = try await app.run("app:reader")
        #expect(read.value.stringValue == (1...total).map { "\($0)=\($0 * 3 + 3)" }.joined(separator: " "))
        #expect(app.log.messages.filter { $0.contains("flaky worker on task") }.count == total / 7)
        // The rows are in the SQLite file, as JSON.
        let queue = try DatabaseQueue(path: app.project.root + "/data/tasks.db")
        let count = try await queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM results") }
        #expect(count == total)
        let row = try await queue.read { db in
            try String.fetchOne(
                db, sql: "SELECT json_extract(CAST(value AS TEXT), '$.action') || ':' || json_extract(CAST(value AS TEXT), '$.sum') FROM results WHERE key = 'result:0007'")
        }
        #expect(row == "sum:24")
    }
}
