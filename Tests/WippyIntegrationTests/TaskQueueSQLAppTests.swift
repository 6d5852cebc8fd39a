import Foundation
import Testing

/// End-to-end (issue 9, item 5): a task queue with no HTTP. A producer publishes tasks to a `queue.queue`;
/// four consumers (a `queue.consumer` with `concurrency: 4`) compute each task and insert its result into
/// SQLite through the `sql` module, one task in three failing its first attempt (redelivered, not lost);
/// the producer then reads the results back with `sql.builder` and checks they are all there once.
@Suite struct TaskQueueSQLAppTests {
    /// Beside the terminal host and `app:main` (``TemporaryProject/withMain(_:modules:extraEntries:)``).
    static let entries = """
          - name: workers
            kind: process.host
            host: {workers: 2}
            lifecycle: {auto_start: true}
          - name: db
            kind: db.sql.sqlite
            file: ./data/tasks.db
          - name: broker
            kind: queue.driver.memory
          - name: tasks
            kind: queue.queue
            driver: app:broker
            driver_options: {memory: {max_length: 8}}
          - name: work
            kind: function.lua
            source: file://tasks.lua
            method: work
            modules: [sql]
          - name: task_workers
            kind: queue.consumer
            queue: app:tasks
            func: app:work
            concurrency: 4
            prefetch: 4
            lifecycle: {auto_start: true}
        """

    static let tasks = #"""
        local sql = require("sql")

        -- Squares the task's number and records it; the first attempt at every third task fails (the
        -- queue delivers it again), and a retry is recorded as such.
        local function work(task: {n: integer}): boolean
            local db = assert(sql.get("app:db"))
            local seen = assert(db:query("SELECT attempts FROM attempts WHERE n = ?", {task.n}))
            assert(db:execute(
                "INSERT INTO attempts (n, attempts) VALUES (?, 1) ON CONFLICT (n) DO UPDATE SET attempts = attempts + 1",
                {task.n}))
            if task.n % 3 == 0 and #seen == 0 then
                error("worker crashed on task " .. task.n)
            end
            assert(db:execute("INSERT INTO results (n, square) VALUES (?, ?)", {task.n, task.n * task.n}))
            return true
        end

        return { work = work }
        """#

    static let main = #"""
        local io = require("io")
        local sql = require("sql")
        local queue = require("queue")
        local time = require("time")

        local function main(): integer
            local db = assert(sql.get("app:db"))
            assert(db:execute("CREATE TABLE results (n INTEGER PRIMARY KEY, square INTEGER NOT NULL)"))
            assert(db:execute("CREATE TABLE attempts (n INTEGER PRIMARY KEY, attempts INTEGER NOT NULL)"))
            local total = 30
            for n = 1, total do assert(queue.publish("app:tasks", {n = n})) end
            -- Wait (on the database, polling a cheap count) until every task has its row.
            local count = sql.builder.select("COUNT(*) AS c"):from("results")
            local deadline = time.now():add(time.parse_duration("60s"))
            while assert(count:run_with(db):query())[1].c < total do
                if time.now():after(deadline) then error("the consumers did not finish") end
                time.sleep("10ms")
            end
            local rows = assert(sql.builder.select("n", "square")
                :from("results")
                :where(sql.builder.gt({n = 20}))
                :order_by("n")
                :run_with(db)
                :query())
            local parts = {}
            for _, row in ipairs(rows) do parts[#parts + 1] = row.n .. "=" .. row.square end
            io.print("squares above 20: " .. table.concat(parts, " "))
            local sum = assert(sql.builder.select("SUM(square) AS s", "COUNT(*) AS c"):from("results"):run_with(db):query())[1]
            io.print("results: " .. sum.c .. ", sum " .. sum.s)
            local retried = assert(sql.builder.select("n"):from("attempts"):where("attempts > ?", 1):order_by("n")
                :run_with(db):query())
            local ns = {}
            for _, row in ipairs(retried) do ns[#ns + 1] = tostring(row.n) end
            io.print("retried: " .. table.concat(ns, " "))
            local once = assert(sql.builder.select("COUNT(*) AS c"):from("attempts"):where(sql.builder.gt({attempts = 2}))
                :run_with(db):query())[1]
            io.print("tried more than twice: " .. once.c)
            return 0
        end

        return { main = main }
        """#

    @Test func producerQueueConsumersSQLiteAndTheBuilder() async throws {
        let project = try TemporaryProject.withMain(Self.main, modules: ["io", "sql", "queue", "time"], extraEntries: Self.entries)
        try project.write("src/tasks.lua", Self.tasks)
        let run = try await WippyBinary.run(["run", "--history", "memory", "-x", "app:main"], in: project.root)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let squares = (21...30).map { "\($0)=\($0 * $0)" }.joined(separator: " ")
        let sum = (1...30).reduce(0) { $0 + $1 * $1 }
        let retried = stride(from: 3, through: 30, by: 3).map(String.init).joined(separator: " ")
        #expect(run.stdout == """
            squares above 20: \(squares)
            results: 30, sum \(sum)
            retried: \(retried)
            tried more than twice: 0

            """)
    }
}
