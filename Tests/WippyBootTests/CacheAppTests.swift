import GRDB
import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyRuntime

/// End to end (issue 9 item 5): a key-value cache with TTL in front of a function, the same app on
/// `store.memory` and on `store.sql` over a SQLite file.
@Suite struct CacheAppTests {
    /// The app with `store` as the `app:cache` entry's YAML (kind and settings).
    static func project(store: String) -> String {
        """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 2}
            lifecycle: {auto_start: true}
          - name: db
            kind: db.sql.sqlite
            file: data/cache.db
          - name: cache
        \(store)
          - name: square
            kind: function.lua
            method: square
            modules: [store]
            source: |
              local store = require("store")
              return { square = function(n, ttl)
                local s = store.get("app:cache")
                local cached = s:get("square:" .. n)
                if cached ~= nil then return {value = cached.value, hit = true} end
                local value = n * n
                local ok, err = s:set("square:" .. n, {value = value}, ttl)
                if not ok then error(err) end
                return {value = value, hit = false}
              end }
          - name: main
            kind: process.lua
            modules: [funcs, store, time]
            source: |
              local funcs = require("funcs")
              local store = require("store")
              local time = require("time")
              return { main = function()
                local out = {}
                -- ttl 60 s: long enough to hit on a loaded machine; 0.05 s: surely gone after a 300 ms sleep
                local function ask(n, ttl)
                  local r = assert(funcs.call("app:square", n, ttl or 60))
                  out[#out + 1] = n .. "=" .. r.value .. (r.hit and " hit" or " miss")
                end
                ask(3) ask(4) ask(3) ask(4)
                local s = store.get("app:cache")
                local page = s:list({prefix = "square:"})
                out[#out + 1] = "listed " .. #page.items .. " " .. page.items[1].key .. " " .. page.items[2].value.value
                ask(5, 0.05)
                time.sleep("300ms")
                out[#out + 1] = "after ttl " .. tostring(s:has("square:5"))
                ask(5, 0.05)
                s:set("permanent", {1, 2, 3})
                out[#out + 1] = "permanent " .. #s:get("permanent") .. " " .. tostring(s:delete("permanent")) .. " " .. tostring(s:delete("permanent"))
                local _, err = s:get(false)
                out[#out + 1] = "bad key " .. err:kind()
                return table.concat(out, ", ")
              end }
        """
    }

    static let expected = "3=9 miss, 4=16 miss, 3=9 hit, 4=16 hit, listed 2 square:3 16, 5=25 miss, after ttl false, 5=25 miss, "
        + "permanent 3 true false, bad key Invalid"

    final class App: TestApplication {
        func run(_ id: String, _ arguments: [Payload] = []) async throws -> ProcessResult {
            let program = try #require(app.runtime.program(EntryID(parsing: id)))
            let host = try #require(app.node.host("app:processes"))
            return await withCheckedContinuation { continuation in
                let options = SpawnOptions(onExit: { _, result in continuation.resume(returning: result) })
                app.node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
            }
        }
    }

    @Test func cacheOnMemoryStore() async throws {
        let app = try App(index: Self.project(store: "    kind: store.memory\n    max_size: 100"), history: .memory)
        #expect(await app.log.wait(for: "service app:cache is running") != nil)
        #expect(await app.log.wait(for: "service app:processes is running") != nil)
        let result = try await app.run("app:main")
        #expect(result.error == nil)
        #expect(result.value.stringValue == Self.expected)
    }

    @Test func cacheOnSQLiteStore() async throws {
        let store = "    kind: store.sql\n    database: app:db\n    table_name: cache_entries"
        let app = try App(index: Self.project(store: store), history: .memory) { project in
            try project.write("data/.keep", "")
            let queue = try DatabaseQueue(path: project.root + "/data/cache.db")
            try queue.write { db in
                try db.execute(sql: "CREATE TABLE cache_entries (key TEXT PRIMARY KEY, value BLOB, expires_at TEXT)")
            }
            try queue.close()
        }
        #expect(await app.log.wait(for: "service app:cache is running") != nil)
        #expect(await app.log.wait(for: "service app:processes is running") != nil)
        let result = try await app.run("app:main")
        #expect(result.error == nil)
        #expect(result.value.stringValue == Self.expected)
        // The values are JSON in the table.
        let queue = try DatabaseQueue(path: app.project.root + "/data/cache.db")
        let rows = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT key, CAST(value AS TEXT) AS value FROM cache_entries ORDER BY key")
                .map { "\($0["key"] as String? ?? "")=\($0["value"] as String? ?? "")" }
        }
        #expect(rows.contains("square:3={\"value\":9}"))
    }
}
