import Testing
import WippyBoot
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime

/// The `store` module on a `store.memory` entry (lua-api-io §7.2): values round-trip, TTL, versions,
/// conditional put, list, bad input as `nil, err` with the process running on, release at the end of the
/// invocation.
@Suite struct StoreModuleTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 2}
            lifecycle: {auto_start: true}
          - name: cache
            kind: store.memory
            max_size: 3
          - name: checks
            kind: process.lua
            modules: [store, time]
            source: |
              local store = require("store")
              local time = require("time")
              return { main = function()
                local out = {}
                local function say(...) local parts = {} for i = 1, select("#", ...) do parts[#parts + 1] = tostring((select(i, ...))) end out[#out + 1] = table.concat(parts, " ") end
                local s, err = store.get("app:cache")
                say("get", s ~= nil, err)
                say("set", s:set("user:1", {name = "ada", tags = {"x", "y"}}))
                local v = s:get("user:1")
                say("value", v.name, v.tags[2])
                local missing, merr = s:get("nope")
                say("missing", missing, merr:kind())
                say("bad key", select(2, s:get(42)):kind(), select(2, s:get(42)):message())
                say("nil value", select(2, s:set("k", nil)):kind())
                say("function value", select(2, s:set("k", function() end)):message())
                local e = s:put("plain", 1, {only_if_absent = true})
                say("entry", e.key, type(e.version))
                local _, exists = s:put("plain", 2, {only_if_absent = true})
                say("again", exists:kind())
                local _, conflict = s:put("plain", 3, {if_version = "999"})
                say("conflict", conflict:kind(), conflict:retryable())
                local e2 = s:put("plain", 4, {if_version = e.version})
                say("updated", s:get("plain"), e2.version ~= e.version)
                local _, both = s:put("plain", 5, {if_version = 1, only_if_absent = true})
                say("both", both:kind())
                local _, full = s:set("third", 1)
                local _, over = s:set("fourth", 1)
                say("full", full, over and over:kind())
                local deleted = s:delete("third")
                say("deleted", deleted, s:delete("third"))
                say("short", s:set("short", 1, 60))
                say("has short", s:has("short"))
                s:set("short", 1, 0.05)
                local page = s:list({prefix = "user:", limit = 10})
                say("list", #page.items, page.items[1].key, page.cursor, page.has_more)
                local info = s:info()
                say("info", info.backend, info.versioned, info.conditional_put, info.id)
                time.sleep("100ms")
                say("expired", s:has("short"))
                say("release", s:release())
                say("after release", select(2, s:get("user:1")):message())
                local other, oerr = store.get("app:nothing")
                say("no store", other, oerr:kind())
                local notstore, nerr = store.get("app:checks")
                say("not a store", notstore, nerr:kind())
                return table.concat(out, "\\n")
              end }
          - name: holder
            kind: process.lua
            modules: [store]
            source: |
              local store = require("store")
              return { main = function() local s = store.get("app:cache") return s:get("user:1").name end }
        """

    final class App: TestApplication {
        init() throws { try super.init(index: StoreModuleTests.project, history: .memory) }

        func run(_ id: String, _ arguments: [Payload] = []) async throws -> ProcessResult {
            let program = try #require(app.runtime.program(EntryID(parsing: id)))
            let host = try #require(app.node.host("app:processes"))
            return await withCheckedContinuation { continuation in
                let options = SpawnOptions(onExit: { _, result in continuation.resume(returning: result) })
                app.node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
            }
        }

        func waitRunning(_ id: String) async {
            _ = await log.wait(for: "service \(id) is running")
        }
    }

    @Test func memoryStoreFromLua() async throws {
        let app = try App()
        await app.waitRunning("app:cache")
        await app.waitRunning("app:processes")
        let result = try await app.run("app:checks")
        #expect(result.error == nil)
        #expect(result.value.stringValue == """
            get true nil
            set true
            value ada y
            missing nil NotFound
            bad key Invalid store key must be a string (got number)
            nil value Invalid
            function value cannot store a function (at value)
            entry :plain string
            again AlreadyExists
            conflict Conflict true
            updated 4 true
            both Invalid
            full nil Unavailable
            deleted true false
            short true
            has short true
            list 1 user:1 user:1 false
            info memory true true app:cache
            expired false
            release true
            after release store is released
            no store nil Internal
            not a store nil Internal
            """)
        // Handles taken by an invocation are released when it ends.
        #expect(app.app.runtime.resources.leaseCount(EntryID(parsing: "app:cache")) == 0)
        let held = try await app.run("app:holder")
        #expect(held.value == "ada")
        #expect(app.app.runtime.resources.leaseCount(EntryID(parsing: "app:cache")) == 0)
    }
}

/// A store or queue used while its entry is still opening (a `-x` entry point runs as soon as the runtime
/// starts) is waited for, off the worker, instead of failing.
@Suite struct ResourceStartWaitTests {
    static let project = """
        version: "1.0"
        namespace: app
        entries:
          - name: processes
            kind: process.host
            host: {workers: 1}
            lifecycle: {auto_start: true}
          - name: late
            kind: store.memory
            lifecycle: {auto_start: false}
          - name: mem
            kind: queue.driver.memory
          - name: late_queue
            kind: queue.queue
            driver: app:mem
            lifecycle: {auto_start: false}
          - name: user
            kind: process.lua
            modules: [store, queue, logger]
            source: |
              local store = require("store")
              local queue = require("queue")
              local logger = require("logger")
              return { main = function()
                logger:info("asking")
                local s, err = store.get("app:late")
                if not s then return "store: " .. tostring(err) end
                local ok, perr = queue.publish("app:late_queue", {x = 1})
                return tostring(s:set("k", 1)) .. " " .. tostring(ok) .. " " .. tostring(perr)
              end }
        """

    @Test func waitsForAStartingStoreAndQueue() async throws {
        let app = try CacheAppTests.App(index: Self.project, history: .memory)
        #expect(await app.log.wait(for: "service app:processes is running") != nil)
        #expect(app.app.runtime.resources.current(EntryID(parsing: "app:late")) == nil)
        async let result = app.run("app:user")
        #expect(await app.log.wait(for: "asking") != nil)
        app.app.supervisor.start([EntryID(parsing: "app:late"), EntryID(parsing: "app:late_queue")])
        let value = try await result.value
        #expect(value.stringValue == "true true nil", "\(value)")
    }
}
