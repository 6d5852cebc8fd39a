import Dispatch
import Testing
import WippyCore
import WippyModules
import WippyRuntime

/// lua-api-core §12: the `events` module, the Lua bridge of the event bus, and the runtime's own events
/// (`registry`, `process`) as Lua subscribers see them.
@Suite("events module")
struct EventsTests {
    static let helpers = """
        local fails = {}
        local function eq(name, got, want)
            if got ~= want then fails[#fails + 1] = name .. ": got " .. tostring(got) .. ", want " .. tostring(want) end
        end
        local function report() if #fails == 0 then return "ok" end return table.concat(fails, "; ") end
        -- every event waiting on the subscription right now, as "path" strings
        local function drain(sub)
            local out = {}
            while true do
                local r = channel.select({sub:channel():case_receive(), default = true})
                if r.default or not r.ok then return table.concat(out, " ") end
                out[#out + 1] = r.value.path
            end
        end

        """

    static let modules = ["time", "events"]

    /// Runs a chunk (after the helpers) as `test:main` and returns its result value.
    func run(_ harness: ModulesHarness, _ source: String) async -> Payload {
        harness.install("test:main", source: Self.helpers + source, modules: Self.modules)
        let result = await harness.runEntry("test:main")
        if let error = result.error { return .string("error: \(error)") }
        return result.value
    }

    @Test("wildcard system patterns and kind patterns select events, in send order, as {system, kind, path, data}")
    func patterns() async {
        let harness = ModulesHarness()
        let value = await run(harness, """
            return function()
                local all = events.subscribe("app.**")
                local orders = events.subscribe("app.*", "order.(create|delete)")
                local shop = events.subscribe("app.shop", "*")
                eq("same channel", all:channel(), all:channel())
                events.send("app.shop", "order.create", "/1", {n = 1, tags = {"a", "b"}})
                events.send("app.shop.eu", "order.create", "/2")
                events.send("other", "order.create", "/3")
                events.send("app.shop", "order.update", "/4", "text")
                events.send("app", "order.delete", "/5")
                events.send("app.eu", "order.delete", "/6")
                local first, ok = all:channel():receive()
                eq("ok", ok, true)
                eq("system", first.system, "app.shop") eq("kind", first.kind, "order.create") eq("path", first.path, "/1")
                eq("data", first.data.n, 1) eq("data list", first.data.tags[2], "b")
                eq("all", drain(all), "/2 /4 /5 /6")
                eq("orders (a trailing * is a prefix)", drain(orders), "/1 /2 /6")
                eq("shop", drain(shop), "/1 /4")
                return report()
            end
            """)
        #expect(value == "ok")
    }

    @Test("bad arguments give Invalid errors naming the missing field")
    func errors() async {
        let harness = ModulesHarness()
        let value = await run(harness, """
            return function()
                local s, err = events.subscribe("")
                eq("no sub", s, nil) eq("kind", err:kind(), "Invalid") eq("message", err:message(), "system pattern is required")
                for _, case in ipairs({{"", "k", "p", "system is required"}, {"s", "", "p", "kind is required"},
                                       {"s", "k", nil, "path is required"}}) do
                    local r, e = events.send(case[1], case[2], case[3])
                    eq("send " .. case[4], r, nil) eq("send kind", e and e:kind(), "Invalid")
                    eq("send message", e and e:message(), case[4])
                end
                eq("send ok", events.send("s", "k", "p"), true)
                local ok = pcall(events.subscribe, {})
                eq("table system raises", ok, false)
                return report()
            end
            """)
        #expect(value == "ok")
    }

    @Test("close is idempotent, closes the channel and drops what was waiting; the inbox never sees events")
    func close() async {
        let harness = ModulesHarness()
        let value = await run(harness, """
            return function()
                local sub = events.subscribe("t")
                local ch = sub:channel()
                events.send("t", "k", "1")
                eq("first", ch:receive().path, "1")
                events.send("t", "k", "2")
                local r = channel.select({process.inbox():case_receive(), default = true})
                eq("inbox untouched", r.default, true)
                eq("close", sub:close(), true)
                eq("close again", sub:close(), true)
                local v, ok = ch:receive()
                eq("closed value", v, nil) eq("closed ok", ok, false)
                events.send("t", "k", "3")
                eq("same channel after close", sub:channel(), ch)
                local again = events.subscribe("t")
                events.send("t", "k", "4")
                eq("new subscription", drain(again), "4")
                return report()
            end
            """)
        #expect(value == "ok")
        #expect(harness.runtime.bus.subscriberCount == 0, "subscriptions end with the process")
    }

    @Test("a subscriber that never reads loses events beyond 1024 (counted, logged once per burst); a reader gets all")
    func slowSubscriber() async {
        let harness = ModulesHarness()
        let value = await run(harness, """
            return function()
                local slow = events.subscribe("load")
                local fast = events.subscribe("load")
                local got = 0
                local function burst(from, to)
                    for i = from, to do
                        events.send("load", "tick", tostring(i))
                        local e = fast:channel():receive()
                        if e.path == tostring(i) then got = got + 1 end
                    end
                end
                burst(1, 1500)
                eq("fast got every event", got, 1500)
                eq("slow dropped", slow:dropped(), 1500 - 1024)
                eq("fast dropped", fast:dropped(), 0)
                local expected = 1
                local inOrder = true
                local count = 0
                while true do
                    local r = channel.select({slow:channel():case_receive(), default = true})
                    if r.default then break end
                    count = count + 1
                    if r.value.path ~= tostring(expected) then inOrder = false end
                    expected = expected + 1
                end
                eq("slow kept the first 1024", count, 1024)
                eq("slow in order", inOrder, true)
                burst(1501, 1501 + 1100 - 1)
                eq("second burst dropped", slow:dropped(), 1500 - 1024 + 1100 - 1024)
                return report()
            end
            """)
        #expect(value == "ok")
        let warnings = harness.records.with(message: "events subscription is not keeping up: dropping events until it catches up")
        #expect(warnings.count == 2, "one warning per burst")
    }

    @Test("registry changes applied from Swift reach a Lua subscriber")
    func registryEvents() async throws {
        let harness = ModulesHarness()
        let registry = Registry(bus: harness.runtime.bus)
        let ready = EventQueue()
        let readySubscription = try harness.runtime.bus.subscribe(system: "test", receiver: ready)
        harness.install("test:watcher", source: Self.helpers + """
            return function()
                local sub = events.subscribe("registry", "entry.*")
                local commits = events.subscribe("registry", "registry.commit")
                -- a receive that gives up (with an empty table) rather than hang the test
                local function recv(ch)
                    local r = channel.select({ch:case_receive(), time.after("10s"):case_receive()})
                    if r.channel == ch then return r.value end
                    fails[#fails + 1] = "timed out"
                    return {data = {data = {}}}
                end
                events.send("test", "ready", "watcher")
                local e = recv(sub:channel())
                eq("kind", e.kind, "entry.create") eq("path", e.path, "app:thing")
                eq("entry id", e.data.id, "app:thing") eq("entry kind", e.data.kind, "registry.entry")
                eq("entry data", e.data.data.port, 8080)
                local u = recv(sub:channel())
                eq("then update", u.kind, "entry.update") eq("new data", u.data.data.port, 9090)
                local c = recv(commits:channel())
                eq("commit", c.kind, "registry.commit")
                return report()
            end
            """, modules: Self.modules)
        // Spawned at once, not from an `async let` that needs a free thread of the shared test pool.
        let result = harness.startEntry("test:watcher")
        // The changes are applied on a Dispatch thread as soon as the watcher is ready: this task may wait
        // long for a thread of the shared test pool, longer than the watcher waits for the events.
        let applied = await withCheckedContinuation { (continuation: CheckedContinuation<Result<String?, any Error>, Never>) in
            DispatchQueue.global().async {
                let readyEvent = ready.next(timeout: .seconds(30))
                harness.runtime.bus.unsubscribe(readySubscription)
                continuation.resume(returning: Result {
                    var data = PayloadTable()
                    data["port"] = .int(8080)
                    _ = try registry.apply([
                        .create(Entry(id: EntryID(parsing: "app:thing"), kind: "registry.entry", data: .table(data)))
                    ])
                    data["port"] = .int(9090)
                    _ = try registry.apply([
                        .update(Entry(id: EntryID(parsing: "app:thing"), kind: "registry.entry", data: .table(data)))
                    ])
                    return readyEvent?.path
                })
            }
        }
        #expect(try applied.get() == "watcher")
        let outcome = await result.value
        #expect(outcome.error == nil)
        #expect(outcome.value == "ok")
    }

    @Test("process.start and process.exit announce processes of the node, with entry and result or error")
    func lifecycle() async throws {
        let harness = ModulesHarness()
        let exits = EventQueue()
        let exitSubscription = try harness.runtime.bus.subscribe(system: "process", kind: "process.exit", receiver: exits)
        harness.install("test:child", source: "return function(n) return n * 2 end")
        harness.install("test:bad", source: "return function() error('boom') end")
        let value = await run(harness, """
            return function()
                local sub = events.subscribe("process")
                local child = process.spawn("test:child", "app:processes", 21)
                local bad = process.spawn("test:bad", "app:processes")
                local seen = {[child] = {}, [bad] = {}}
                local data = {}
                while #seen[child] < 2 or #seen[bad] < 2 do
                    local e = sub:channel():receive()
                    if seen[e.path] then
                        table.insert(seen[e.path], e.kind)
                        data[e.path .. " " .. e.kind] = e.data
                    end
                end
                eq("child order", table.concat(seen[child], ","), "process.start,process.exit")
                eq("bad order", table.concat(seen[bad], ","), "process.start,process.exit")
                eq("entry", data[child .. " process.start"].entry, "test:child")
                eq("mode", data[child .. " process.start"].mode, "process")
                eq("result", data[child .. " process.exit"].result, 42)
                eq("no error", data[child .. " process.exit"].error, nil)
                local err = data[bad .. " process.exit"].error
                eq("error", err ~= nil and tostring(err):find("boom") ~= nil, true)
                return report()
            end
            """)
        #expect(value == "ok")
        // A Swift subscriber sees the exits too, the main process's last.
        var exited: [BusEvent] = []
        while let event = exits.next(timeout: .milliseconds(200)) { exited.append(event) }
        harness.runtime.bus.unsubscribe(exitSubscription)
        #expect(exited.count == 3)
        let mainExit = exited.last?.data.tableValue
        #expect(mainExit?["entry"] == "test:main")
        #expect(mainExit?["result"] == "ok")
    }
}
