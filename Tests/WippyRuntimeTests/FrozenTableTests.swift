import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §2, typed-lua §5.1: `table.freeze(t) -> t` makes `t` read-only; it is still the same table with
/// the same contents.
@Suite struct FrozenTableTests {
    func expectOK(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: "return { main = function()\n\(body)\nreturn report()\nend }")
        #expect(result.text == "ok", sourceLocation: sourceLocation)
    }

    @Test func freezeReturnsTheSameTableAndReadsStillWork() async {
        await expectOK("""
            local t = {10, 20, 30, name = "n"}
            eq("not frozen yet", table.isfrozen(t), false)
            local f = table.freeze(t)
            check("same table", rawequal(f, t))
            eq("isfrozen", table.isfrozen(t), true)
            eq("field", t.name, "n")
            eq("index", t[2], 20)
            eq("length", #t, 3)
            local sum = 0 for _, v in ipairs(t) do sum = sum + v end
            eq("ipairs", sum, 60)
            local keys = 0 for k in pairs(t) do keys = keys + 1 end
            eq("pairs", keys, 4)
            eq("concat", table.concat(t, ","), "10,20,30")
            eq("unpack", select("#", table.unpack(t)), 3)
            eq("non-table isfrozen", table.isfrozen(5), false)
            """)
    }

    @Test func writesToAFrozenTableRaise() async {
        await expectOK("""
            local t = table.freeze({a = 1, 1})
            eq("assign existing", (pcall(function() t.a = 2 end)), false)
            eq("assign new", (pcall(function() t.b = 2 end)), false)
            eq("rawset", (pcall(rawset, t, "a", 3)), false)
            eq("table.insert", (pcall(table.insert, t, 5)), false)
            eq("setmetatable", (pcall(setmetatable, t, {})), false)
            eq("unchanged", t.a, 1)
            eq("unchanged length", #t, 1)
            """)
    }

    @Test func rawAccessStillSeesTheContents() async {
        await expectOK("""
            local t = table.freeze({a = 1, 7})
            eq("rawget", rawget(t, "a"), 1)
            check("next is not empty", next(t) ~= nil)
            eq("rawequal to itself", rawequal(t, t), true)
            """)
    }

    @Test func frozenTableKeepsItsContentsInMessagesAndResults() async {
        await expectOK("""
            local t = table.freeze({1, 2, 3, name = "frozen"})
            process.send(process.pid(), "t", t, {inner = t})
            local ps = process.inbox():receive():payload()
            local r, wrapper = ps[1]:data(), ps[2]:data()
            eq("array survives", r[3], 3)
            eq("field survives", r.name, "frozen")
            eq("nested frozen survives", wrapper.inner and wrapper.inner.name, "frozen")
            """)
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: "return { main = function() return table.freeze({answer = 42}) end }")
        #expect(result?.value["answer"] == .int(42), "\(result.text)")
    }

    @Test func freezingKeepsMetamethodsOfTheOriginal() async {
        await expectOK("""
            local t = setmetatable({x = 1}, {__index = function(_, k) return "dflt-" .. k end,
                                            __tostring = function() return "custom" end})
            table.freeze(t)
            eq("own field", t.x, 1)
            eq("__index fallback", t.y, "dflt-y")
            eq("__tostring", tostring(t), "custom")
            """)
    }

    /// The contents of a frozen table must not be reachable for writing through the metamethods the table had
    /// before freezing (an `__index` function receives the table it is indexing).
    @Test func frozenContentsCannotBeModifiedThroughAnOriginalMetamethod() async {
        await expectOK("""
            local seen
            local t = setmetatable({a = 1}, {__index = function(h, k)
                seen = h
                pcall(rawset, h, "a", 999)
                pcall(function() h.b = "added" end)
                return nil
            end})
            table.freeze(t)
            local _ = t.missing
            eq("existing field unchanged", t.a, 1)
            eq("no field added", t.b, nil)
            check("the frozen contents were not handed out", seen == nil or seen == t or table.isfrozen(seen), seen)
            """)
    }

    /// Tables with protected metatables (the libraries, other frozen tables) cannot be frozen again or
    /// re-frozen into something else.
    @Test func freezingLibraryTablesChangesNothing() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let attacker = await node.run(source: """
            return { main = function()
                for _, lib in ipairs({string, table, math, os, coroutine, errors, channel, process, package, payload}) do
                    pcall(table.freeze, lib)
                end
                return "tried"
            end }
            """)
        #expect(attacker.text == "tried")
        let victim = await node.run(source: """
            return { main = function()
                eq("string", ("a"):upper(), "A")
                eq("table", table.concat({"x", "y"}), "xy")
                eq("math", math.floor(1.5), 1)
                eq("process", type(process.pid()), "string")
                eq("channel", type(channel.new()), "userdata")
                return report()
            end }
            """)
        #expect(victim.text == "ok")
    }
}
