import Testing
import WippyCore
import WippyRuntime

/// Issue 7, item 9: `process.with_context` Spawners and the `ctx` module (lua-api-core §6.5, §9.2, §10, §S8):
/// values reach spawned processes and called functions, down the whole chain.
@Suite struct ContextTests {
    func harness() -> ModulesHarness {
        let harness = ModulesHarness(workers: 2)
        // Reports what it sees: its ctx.all(), plus what a function it calls and a process it execs see.
        harness.install("test:reader", source: """
            return { main = function(parent, deeper)
                local all = ctx.all()
                local seen = {user = ctx.get("user"), n = ctx.get("n"), keys = 0}
                for _ in pairs(all) do seen.keys = seen.keys + 1 end
                if deeper then
                    seen.called = funcs.call("test:fn")
                    seen.exec = process.exec("test:leaf", "app:processes")
                    seen.async = funcs.async("test:fn"):response():receive():data()
                end
                if parent then process.send(parent, "seen", seen) end
                return seen
            end }
            """, modules: ["ctx", "funcs"])
        harness.install("test:fn", kind: .function, source: """
            return function() return (ctx.get("user")) end
            """, modules: ["ctx"])
        harness.install("test:leaf", source: """
            return { main = function() return (ctx.get("user")) end }
            """, modules: ["ctx"])
        harness.install("test:named", source: """
            return { main = function()
                local inbox = process.inbox()
                local first = inbox:receive()
                local second = inbox:receive()
                return first:topic() .. "=" .. tostring(first:payload():data()) .. "," .. second:topic()
            end }
            """)
        return harness
    }

    @Test func spawnerContextReachesChildrenCallsAndExecs() async {
        let result = await harness().run("""
            return function()
                local sp = process.with_context({user = "alice", n = 2})
                local pid = sp:spawn("test:reader", "app:processes", process.pid(), true)
                local seen = process.inbox():receive():payload():data()
                local direct = sp:exec("test:reader", "app:processes")
                local merged = sp:with_context({user = "bob"}):exec("test:reader", "app:processes")
                local own = {ctx.get("user")}
                local _, missing = ctx.get("nope")
                local _, empty = ctx.get("")
                return {
                    type(pid), seen.user, seen.n, seen.keys, seen.called, seen.exec, seen.async,
                    direct.user, merged.user, merged.n, own[1] == nil, missing:kind(), missing:message(),
                    empty:kind(), empty:message(),
                }
            end
            """, modules: ["ctx", "funcs"])
        #expect(result.value == .array([
            "string", "alice", 2, 2, "alice", "alice", "alice", "alice", "bob", 2, true, "NotFound", "key not found: nope",
            "Invalid", "empty key",
        ]), "\(result.text)")
    }

    /// Context values set on the caller travel with `process.exec`, `funcs.call`, `funcs.async` and plain
    /// spawns; an executor's own values are laid over them.
    @Test func inheritedContextAndExecutorsMerge() async {
        let harness = harness()
        harness.install("test:outer", source: """
            return { main = function()
                local ex = funcs.new():with_context({user = "carol"})
                return {
                    process.exec("test:leaf", "app:processes"), funcs.call("test:fn"),
                    funcs.async("test:fn"):response():receive():data(), ex:call("test:fn"),
                    ex:async("test:fn"):response():receive():data(), ctx.get("n"),
                }
            end }
            """, modules: ["ctx", "funcs"])
        let result = await harness.run("""
            return function()
                return process.with_context({user = "dave", n = 5}):exec("test:outer", "app:processes")
            end
            """, modules: ["ctx", "funcs"])
        #expect(result.value == .array(["dave", "dave", "dave", "carol", "carol", 5]), "\(result.text)")
    }

    /// `with_message` is delivered before anything else; `with_name` spawns once and then finds the holder
    /// (which gets the spawner's messages again: spawn-or-signal).
    @Test func spawnerMessagesNamesAndMisuse() async {
        let result = await harness().run("""
            return function()
                local sp = process.with_options({memory = "opaque"}):with_name("the-one"):with_message("hello", 42)
                local a = sp:spawn_monitored("test:named", "app:processes")
                local b = sp:spawn("test:named", "app:processes")
                process.send(a, "later")
                local exit = process.events():receive()
                local bad = {
                    (pcall(process.with_context, {[1] = "x"})),
                    (pcall(function() return sp:with_message("@pid/inbox") end)),
                    (pcall(function() return sp:spawn("test:named") end)),
                    (pcall(process.with_context, "nope")),
                }
                return {a == b, exit.result.value, tostring(sp):find("process.Spawner", 1, true) ~= nil, table.unpack(bad)}
            end
            """, modules: ["ctx"])
        #expect(result.value == .array([true, "hello=42,hello", true, false, false, false, false]), "\(result.text)")
    }
}
