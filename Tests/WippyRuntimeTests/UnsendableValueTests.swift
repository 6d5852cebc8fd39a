import Testing
import WippyCore
import WippyRuntime

/// Issue 7, item 6: a value that cannot travel (function, coroutine, channel, other userdata, a table nested
/// deeper than the payload limit) fails where it would be sent, saying what and where, and nothing arrives.
@Suite struct UnsendableValueTests {
    /// The Lua helper `refused(name, want, send)`: `send()` must return `false` (or nil), err with `want`.
    static let refusedHelper = """
        local function refused(name, want, ok, err)
            check(name .. " fails", ok == false or ok == nil, ok)
            check(name .. " Invalid", errors.is(err, errors.INVALID), err)
            eq(name .. " message", tostring(err), want)
        end
        local function chain(n) local t = {} local cur = t for _ = 2, n do cur.next = {} cur = cur.next end return t end
        """

    /// Through the payload path (the receiver is not waiting: a send to oneself).
    @Test func sendRefusesWhatCannotTravel() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            \(Self.refusedHelper)
            return { main = function()
                local me = process.pid()
                local inbox = process.inbox()
                refused("function", "cannot send a function (at args[2].handler)", process.send(me, "bad", 1, {handler = print}))
                refused("coroutine", "cannot send a coroutine (at args[1])", process.send(me, "bad", coroutine.create(print)))
                refused("channel", "cannot send a channel (at args[1].list[3])", process.send(me, "bad", {list = {1, 2, channel.new()}}))
                refused("function key", "cannot send a function used as a table key (at args[1].t)",
                    process.send(me, "bad", {t = {[print] = 1}}))
                refused("odd key", "cannot send a function (at args[1][\\"a b\\"][true])", process.send(me, "bad", {["a b"] = {[true] = print}}))
                process.send(me, "probe", 1)
                local msg = inbox:receive()
                refused("message object", "cannot send a process.Message value (at args[1])", process.send(me, "bad", msg))
                refused("payload object", "cannot send a payload value (at args[1].p)", process.send(me, "bad", {p = msg:payload()}))
                local ok = process.send(me, "deep200", chain(200))
                eq("200 levels travel", ok, true)
                local ok2, err2 = process.send(me, "bad", chain(201))
                check("201 levels refused", ok2 == false and errors.is(err2, errors.INVALID), err2)
                check("201 levels message", tostring(err2):find("cannot send a table nested deeper than 200 levels (at args[1].next.next", 1, true) == 1, err2)
                local ok3, err3 = process.send(me, "bad", chain(100000))
                check("100000 levels refused", ok3 == false and tostring(err3):find("nested deeper", 1, true), err3)
                process.send(me, "after", 1)
                local first = inbox:receive()
                eq("the 200-level table arrived", first:topic(), "deep200")
                local depth, t = 0, first:payload():data()
                while t do depth = depth + 1 t = t.next end
                eq("all 200 levels", depth, 200)
                eq("nothing refused arrived", inbox:receive():topic(), "after")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// Through the same-worker fast path (the receiver is already waiting in `receive`): the refused message
    /// leaves the receiver waiting, and the next good message is what it gets.
    @Test func directDeliveryRefusesAndKeepsTheReceiverWaiting() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:receiver", source: """
            return { main = function(parent)
                local raw = process.listen("raw")
                process.send(parent, "ready")
                local msg = process.inbox():receive()
                process.send(parent, "ready2")
                local value = raw:receive()
                return msg:topic() .. " " .. tostring(msg:payload():data()) .. " " .. tostring(value)
            end }
            """)
        let result = await node.run(source: """
            \(Self.refusedHelper)
            return { main = function()
                local inbox = process.inbox()
                local rx = process.spawn_monitored("test:receiver", "app:processes", process.pid())
                eq("ready", inbox:receive():topic(), "ready")
                refused("function", "cannot send a function (at args[1].f)", process.send(rx, "bad", {f = print}))
                refused("second payload", "cannot send a coroutine (at args[2][1])", process.send(rx, "bad", 1, {coroutine.create(print)}))
                refused("deep", "cannot send a table nested deeper than 200 levels (at args[1].next.next.next.next.next.next.next.next...(190 more)....next.next)",
                    process.send(rx, "bad", chain(201)))
                check("huge depth", not process.send(rx, "bad", chain(100000)))
                eq("good one", process.send(rx, "good", 7), true)
                eq("ready2", inbox:receive():topic(), "ready2")
                refused("raw channel", "cannot send a channel (at args[1])", process.send(rx, "raw", channel.new()))
                eq("good raw", process.send(rx, "raw", "v"), true)
                local exit = process.events():receive()
                eq("receiver result", exit.result.value, "good 7 v")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// Spawn and exec arguments, and a result that cannot leave its process.
    @Test func spawnExecAndResultsRefuseWhatCannotTravel() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:child", source: "return { main = function(x) return x end }")
        node.install("test:returns", source: """
            return { main = function(kind)
                if kind == "function" then return {handler = print} end
                local t = {} local cur = t for _ = 1, 100000 do cur.next = {} cur = cur.next end
                return t
            end }
            """)
        let result = await node.run(source: """
            \(Self.refusedHelper)
            return { main = function()
                refused("spawn", "cannot send a function (at args[2].cb)", process.spawn("test:child", "app:processes", 1, {cb = print}))
                refused("spawn_monitored", "cannot send a channel (at args[1])", process.spawn_monitored("test:child", "app:processes", channel.new()))
                refused("exec", "cannot send a coroutine (at args[1])", process.exec("test:child", "app:processes", coroutine.create(print)))
                refused("result", "cannot return a function (at result.handler)", process.exec("test:returns", "app:processes", "function"))
                local v, err = process.exec("test:returns", "app:processes", "deep")
                check("deep result refused", v == nil and tostring(err):find("cannot return a table nested deeper than 200 levels", 1, true), err)
                local pid = process.spawn_monitored("test:returns", "app:processes", "function")
                local exit = process.events():receive()
                eq("EXIT from", exit.from, pid)
                eq("EXIT error", tostring(exit.result.error), "cannot return a function (at result.handler)")
                eq("plain exec still works", process.exec("test:child", "app:processes", {a = {1, 2}}).a[2], 2)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }
}
