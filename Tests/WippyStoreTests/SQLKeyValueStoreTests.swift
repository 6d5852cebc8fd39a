import Foundation
import GRDB
import Logging
import Synchronization
import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime
import WippyStore
import WippyTestSupport

/// `store.sql` (lua-api-io §7.2, §11.3) on a real SQLite file and on the PostgreSQL test server: the same
/// behaviour on both, on a clock the test moves.
@Suite struct SQLKeyValueStoreTests {
    final class Clock: Sendable {
        let seconds = Mutex<Double>(1_800_000_000)
        func advance(_ by: Double) { seconds.withLock { $0 += by } }
        var now: @Sendable () -> Date { { Date(timeIntervalSince1970: self.seconds.withLock { $0 }) } }
    }

    /// A fresh `cache` table on `backend`, and the connection to it.
    static func connection(_ backend: String, directory: TemporaryDirectory) async throws -> (any SQLStoreConnection, PostgresConnectionSettings?) {
        if backend == "sqlite" {
            let path = directory.path + "/kv.db"
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in try db.execute(sql: "CREATE TABLE cache (key TEXT PRIMARY KEY, value BLOB, expires_at TEXT)") }
            try queue.close()
            return (SQLDatabaseStoreConnection(database: try SQLiteSQLDatabase(path: path, name: "test:kv")), nil)
        }
        let settings = try await PostgresTestServer.freshSchema()
        try await PostgresTestServer.execute(settings, "CREATE TABLE cache (key TEXT PRIMARY KEY, value BYTEA, expires_at TIMESTAMPTZ)")
        let database = try PostgresSQLDatabase(settings: settings, name: "test:kv", maxOpen: 4, maxIdle: 2, maxLifetime: nil)
        return (SQLDatabaseStoreConnection(database: database), settings)
    }

    func kind(_ body: () throws -> Void) -> ErrorKind? {
        do {
            try body()
            return nil
        } catch {
            return (error as? WippyError)?.kind
        }
    }

    @Test(arguments: ["sqlite", "postgres"])
    func storeBehaviour(backend: String) async throws {
        let directory = try TemporaryDirectory()
        let (connection, _) = try await Self.connection(backend, directory: directory)
        let clock = Clock()
        let store = try SQLKeyValueStore(connection: connection, layout: .init(table: "cache"), now: clock.now)
        defer { store.close() }
        try store.set("user:1", .map([("name", "ada"), ("n", 1)]), ttl: 10)
        try store.set("user:2", .array([1, 2]), ttl: nil)
        try store.set("plain", "text", ttl: 0.5)
        #expect(try store.get("user:1") == .map([("n", 1), ("name", "ada")]) || store.get("user:1") == .map([("name", "ada"), ("n", 1)]))
        #expect(try store.entry("plain") == StoreEntry(key: ":plain", value: "text", version: 0))
        clock.advance(1)
        #expect(try !store.has("plain"))
        #expect(kind { _ = try store.get("plain") } == .notFound)
        #expect(try store.delete("plain") == false)
        try store.set("user:1", "permanent now", ttl: nil)
        clock.advance(100)
        #expect(try store.get("user:1") == "permanent now")
        try store.set("user:3", 3, ttl: 5)
        try store.set("other", 0, ttl: nil)
        let first = try store.list(prefix: "user:", after: "", limit: 2)
        #expect(first.items.map(\.key) == ["user:1", "user:2"] && first.hasMore)
        let second = try store.list(prefix: "user:", after: first.cursor, limit: 2)
        #expect(second.items.map(\.key) == ["user:3"] && !second.hasMore)
        #expect(try store.list(prefix: "oth", after: "", limit: 0).items.map(\.key) == [":other"])
        #expect(kind { _ = try store.put("x", 1, options: StorePutOptions(onlyIfAbsent: true)) } == .invalid)
        #expect(try store.put("x", 1, options: StorePutOptions(ttl: 1)).version == 0)
        clock.advance(10)
        #expect(try store.sweep() == 2)
        #expect(try store.delete("user:2"))
        #expect(try store.list(prefix: "", after: "", limit: 0).items.map(\.key) == [":other", "user:1"])
    }

    /// The cache app of the Boot tests, on `store.sql` over PostgreSQL, from Lua.
    @Test func cacheAppOnPostgres() async throws {
        let settings = try await PostgresTestServer.freshSchema()
        try await PostgresTestServer.execute(settings, "CREATE TABLE kv (key TEXT PRIMARY KEY, value BYTEA, expires_at TIMESTAMPTZ)")
        let directory = try TemporaryDirectory()
        try directory.write("wippy.lock", "directories:\n    modules: .wippy\n    src: ./src\n")
        try directory.write("src/_index.yaml", """
            version: "1.0"
            namespace: app
            entries:
              - name: processes
                kind: process.host
                host: {workers: 2}
                lifecycle: {auto_start: true}
              - name: db
                kind: db.sql.postgres
                host: \(settings.host)
                port: \(settings.port)
                database: \(settings.database)
                username: \(settings.username)
                password: "\(settings.password ?? "unused-with-trust-auth")"
                options: {search_path: \(settings.options["search_path"] ?? "public"), sslmode: disable}
              - name: cache
                kind: store.sql
                database: app:db
                table_name: kv
              - name: main
                kind: process.lua
                modules: [store, time]
                source: |
                  local store = require("store")
                  local time = require("time")
                  return { main = function()
                    local s = assert(store.get("app:cache"))
                    local out = {}
                    out[#out + 1] = tostring(s:set("session:1", {user = 7}, 60))
                    out[#out + 1] = tostring(s:get("session:1").user)
                    out[#out + 1] = tostring(s:has("session:1"))
                    local _, err = s:put("session:1", 1, {only_if_absent = true})
                    out[#out + 1] = err:kind()
                    s:set("session:2", {user = 8}, 0.05)
                    time.sleep("300ms")
                    local v, missing = s:get("session:2")
                    out[#out + 1] = tostring(v) .. " " .. missing:kind()
                    local info = s:info()
                    out[#out + 1] = info.backend .. " " .. tostring(info.versioned)
                    return table.concat(out, ", ")
                  end }
            """)
        var options = RuntimeOptions()
        options.projectRoot = directory.path
        options.historyMode = .memory
        let app = try Application(
            options: options, modules: StandardModules.all(terminal: nil), logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        app.start()
        defer { app.shutdown() }
        let deadline = ContinuousClock.now + .seconds(30)
        while app.runtime.resources.current(EntryID(parsing: "app:cache")) == nil || app.node.host("app:processes")?.isRunning != true {
            try #require(ContinuousClock.now < deadline, "store.sql on PostgreSQL did not start: \(app.runtime.resources.failure(EntryID(parsing: "app:cache")) ?? "")")
            try await Task.sleep(for: .milliseconds(10))
        }
        let program = try #require(app.runtime.program(EntryID(parsing: "app:main")))
        let host = try #require(app.node.host("app:processes"))
        let result = await withCheckedContinuation { continuation in
            let spawnOptions = SpawnOptions(onExit: { _, result in continuation.resume(returning: result) })
            app.node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: []), options: spawnOptions)
        }
        #expect(result.error == nil)
        #expect(result.value.stringValue == "true, 7, true, Invalid, nil NotFound, sql false")
        let stored = try await PostgresTestServer.fetch(settings, "SELECT convert_from(value, 'UTF8') FROM kv WHERE key = 'session:1'")
        #expect(stored == "{\"user\":7}")
    }
}
