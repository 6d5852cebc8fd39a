import Foundation
import GRDB
import Testing
import WippyBoot
import WippyCore
import WippyResources
import WippyRuntime

/// `db.sql.*` entries as live resources in a running application: the `sql` module reaches them, a
/// changed SQLite file path swaps the database under running queries (none fails, new writes go to the new
/// file), and a database that cannot start is reported while the rest runs on.
@Suite struct SQLResourceTests {
    static let writer = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            lifecycle: {auto_start: true}
          - name: db
            kind: db.sql.sqlite
            file: ./a.db
          # A store on the same database entry: it follows the swap too.
          - name: kv
            kind: store.sql
            database: app:db
            table_name: kv
            lifecycle: {auto_start: true}
          # Writes and reads in a loop, a fresh handle each round; says when a call fails.
          - name: writer
            kind: process.lua
            modules: [sql, store, logger]
            source: |
              local sql = require("sql")
              local store = require("store")
              local logger = require("logger")
              return { main = function()
                local i = 0
                while true do
                  i = i + 1
                  local db, err = sql.get("app:db")
                  if not db then
                    logger:info("sqlfail get " .. tostring(err))
                  else
                    local _, e1 = db:execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
                    local _, e2 = db:execute("INSERT INTO t VALUES (?)", {i})
                    local rows, e3 = db:query("SELECT count(*) AS n FROM t")
                    if e1 or e2 or e3 then logger:info("sqlfail " .. tostring(e1 or e2 or e3)) end
                    db:release()
                    local kv, e5 = store.get("app:kv")
                    if not kv then
                      logger:info("sqlfail store.get " .. tostring(e5))
                    else
                      local stored, e6 = kv:set("k" .. i, i)
                      if not stored then logger:info("sqlfail store " .. tostring(e6)) end
                      kv:release()
                    end
                  end
                  if i % 25 == 0 then logger:info("wrote " .. i) end
                end
              end }
          - name: writer.service
            kind: process.service
            process: writer
            host: app:processes
            lifecycle: {auto_start: true, depends_on: [app:db], stop_timeout: 100ms}
        """

    static func count(_ path: String, table: String = "t") throws -> Int {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    @Test func changingTheSQLiteFileSwapsTheDatabaseUnderRunningQueries() async throws {
        // The store's table exists in both files (as a store.sql table is created by its owner).
        let test = try TestApplication(index: Self.writer, history: .memory) { project in
            for file in ["a.db", "b.db"] {
                let queue = try DatabaseQueue(path: project.root + "/" + file)
                try queue.write { db in try db.execute(sql: "CREATE TABLE kv (key TEXT PRIMARY KEY, value BLOB, expires_at TEXT)") }
                try queue.close()
            }
        }
        let app = test.app
        #expect(await test.log.wait(for: "wrote 50") != nil)
        let id = EntryID(parsing: "app:db")
        var entry = try #require(app.registry.entry(id))
        var data = try #require(entry.data.tableValue)
        data["file"] = "./b.db"
        entry.data = .table(data)
        try app.registry.apply([.update(entry)])
        // Wait until the new file holds rows, then for more rounds after that.
        let swapped = await waitUntil { (try? Self.count(test.project.root + "/b.db")) ?? 0 > 0 }
        #expect(swapped)
        let afterSwap = test.log.messages.filter { $0.hasPrefix("wrote ") }.count
        #expect(await test.log.wait(for: "wrote \((afterSwap + 4) * 25)") != nil)
        #expect(test.log.messages.filter { $0.hasPrefix("sqlfail") } == [])
        let old = try Self.count(test.project.root + "/a.db")
        let new = try Self.count(test.project.root + "/b.db")
        #expect(old >= 50)
        #expect(new >= 75)
        // The old file takes no more writes.
        #expect(try Self.count(test.project.root + "/a.db") == old)
        #expect((app.runtime.resources.current(id) as? SQLiteSQLDatabase)?.path?.hasSuffix("/b.db") == true)
        // The store wrote through the same database: to each file in turn.
        #expect(try Self.count(test.project.root + "/a.db", table: "kv") >= 50)
        #expect(try Self.count(test.project.root + "/b.db", table: "kv") >= 75)
    }

    @Test func aDatabaseThatCannotStartIsReportedAndTheRestRuns() async throws {
        let test = try TestApplication(index: """
            version: "1.0"
            namespace: app
            entries:
              - name: processes
                kind: process.host
                lifecycle: {auto_start: true}
              - name: pg
                kind: db.sql.postgres
                host: 127.0.0.1
                port: 1
                database: nothing
                username: nobody
                password: wrong
                lifecycle: {restart: {initial_delay: 50ms, max_attempts: 3}}
              - name: local
                kind: db.sql.sqlite
                file: ":memory:"
              - name: probe
                kind: process.lua
                modules: [sql, logger, time]
                source: |
                  local sql = require("sql")
                  local logger = require("logger")
                  local time = require("time")
                  return { main = function()
                    while true do
                      local _, err = sql.get("app:pg")
                      if tostring(err):find("not available", 1, true) then
                        logger:info("pg: " .. tostring(err))
                        break
                      end
                      time.sleep("20ms")
                    end
                    local db = assert(sql.get("app:local"))
                    local rows = assert(db:query("SELECT 40 + 2 AS n"))
                    logger:info("local: " .. rows[1].n)
                  end }
              - name: probe.service
                kind: process.service
                process: probe
                host: app:processes
                lifecycle: {auto_start: true, depends_on: [app:local], restart: {max_attempts: 1}}
            """, history: .memory)
        let app = test.app
        let id = EntryID(parsing: "app:pg")
        #expect(await waitUntil { app.runtime.resources.failure(id) != nil })
        let reason = try #require(app.runtime.resources.failure(id))
        #expect(reason.contains("127.0.0.1"))
        #expect(await test.log.wait(for: "service app:pg is failed") != nil)
        let pg = try #require(await test.log.wait(for: "pg: "))
        #expect(pg.contains("app:pg") && pg.contains("127.0.0.1"))
        #expect(await test.log.wait(for: "local: 42") != nil)
    }

    func waitUntil(within limit: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}
