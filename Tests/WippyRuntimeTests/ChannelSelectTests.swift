import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §4.3, §S1: channel.select.
@Suite struct ChannelSelectTests {
    func run(_ body: String) async -> String {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        return await node.run(source: "return { main = function()\n\(body)\nreturn report()\nend }").text
    }

    func expectOK(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let result = await run(body)
        #expect(result == "ok", sourceLocation: sourceLocation)
    }

    @Test func firstReadyCaseInArrayOrderWins() async {
        await expectOK("""
            local a, b, c = channel.new(1), channel.new(1), channel.new(1)
            a:send("A") b:send("B")
            for round = 1, 3 do
                local r = channel.select({c:case_receive(), b:case_receive(), a:case_receive()})
                if round == 1 then
                    check("b first", r.channel == b, round) eq("value", r.value, "B") eq("ok", r.ok, true)
                elseif round == 2 then
                    check("then a", r.channel == a, round) eq("value a", r.value, "A")
                else
                    check("then c", r.channel == c) eq("value c", r.value, "C")
                end
                if round == 2 then c:send("C") end
            end
            """)
    }

    @Test func earlierBusyCaseStarvesLaterOnes() async {
        await expectOK("""
            local busy, other = channel.new(10), channel.new(10)
            for i = 1, 5 do busy:send(i) other:send(-i) end
            local order = {}
            for i = 1, 6 do
                local r = channel.select({busy:case_receive(), other:case_receive()})
                order[#order + 1] = r.value
            end
            eq("order", table.concat(order, ","), "1,2,3,4,5,-1")
            """)
    }

    @Test func defaultWhenNothingIsReady() async {
        await expectOK("""
            local a = channel.new()
            local r = channel.select({a:case_receive(), default = true})
            eq("default", r.default, true) eq("ok", r.ok, true) eq("no channel", r.channel, nil)
            local r2 = channel.select({a:case_receive()}, true)
            eq("positional default", r2.default, true)
            a = channel.new(1) a:send(1)
            local r3 = channel.select({a:case_receive(), default = true})
            eq("ready case beats default", r3.default, nil) eq("value", r3.value, 1)
            """)
    }

    @Test func receiveOnClosedChannelIsAlwaysReadyWithOkFalse() async {
        await expectOK("""
            local closed, other = channel.new(), channel.new(1)
            closed:close()
            other:send("x")
            for i = 1, 3 do
                local r = channel.select({closed:case_receive(), other:case_receive()})
                check("closed chosen " .. i, r.channel == closed)
                eq("ok false " .. i, r.ok, false) eq("nil value " .. i, r.value, nil)
            end
            """)
    }

    @Test func sendCaseReportsItsChannelAndValue() async {
        await expectOK("""
            local c = channel.new(1)
            local r = channel.select({c:case_send(5)})
            check("channel", r.channel == c) eq("value", r.value, 5) eq("ok", r.ok, true)
            eq("delivered", c:receive(), 5)
            local full = channel.new(1) full:send(0)
            local d = channel.new(1)
            local r2 = channel.select({full:case_send(1), d:case_send(2)})
            check("skips full channel", r2.channel == d) eq("value 2", r2.value, 2)
            """)
    }

    @Test func sendCaseHandsOffToABlockedReceiver() async {
        await expectOK("""
            local c, got = channel.new(), nil
            coroutine.spawn(function() got = c:receive() end)
            local r = channel.select({c:case_send("hello")})
            check("channel", r.channel == c) eq("ok", r.ok, true)
            coroutine.yield()
            eq("receiver got it", got, "hello")
            """)
    }

    @Test func sendCaseOnAlreadyClosedChannelIsSkipped() async {
        await expectOK("""
            local closed = channel.new(5)
            closed:close()
            local ok, r = pcall(channel.select, {closed:case_send(1), default = true})
            eq("no raise", ok, true)
            eq("default chosen", ok and r.default, true)
            """)
    }

    @Test func blockedSelectWakesWhenAChannelBecomesReady() async {
        await expectOK("""
            local a, b = channel.new(), channel.new()
            coroutine.spawn(function() b:send("from b") end)
            local r = channel.select({a:case_receive(), b:case_receive()})
            check("b", r.channel == b) eq("value", r.value, "from b")
            local gate = channel.new()
            coroutine.spawn(function() gate:receive() a:send("late a") end)
            gate:send(true)
            local r2 = channel.select({a:case_receive(), b:case_receive()})
            check("a", r2.channel == a) eq("value a", r2.value, "late a")
            -- the registration on b was withdrawn: a later send on b must reach a plain receiver
            coroutine.spawn(function() b:send("b again") end)
            eq("b still works", b:receive(), "b again")
            """)
    }

    @Test func blockedSelectOnReceiveWakesWithOkFalseWhenClosed() async {
        await expectOK("""
            local a, b = channel.new(), channel.new()
            local gate = channel.new()
            coroutine.spawn(function() gate:receive() b:close() end)
            gate:send(true)
            local r = channel.select({a:case_receive(), b:case_receive()})
            check("closed channel", r.channel == b) eq("ok", r.ok, false) eq("value", r.value, nil)
            """)
    }

    @Test func blockedSelectOnSendReturnsNilErrWhenTheChannelIsClosed() async {
        await expectOK("""
            local c, gate = channel.new(), channel.new()
            coroutine.spawn(function() gate:receive() c:close() end)
            gate:send(true)
            local r, err = channel.select({c:case_send(1)})
            eq("result", r, nil)
            check("error", tostring(err):find("send on closed channel", 1, true), err)
            """)
    }

    @Test func channelIdentityIsStable() async {
        await expectOK("""
            local ch = channel.new(1)
            ch:send(1)
            local r = channel.select({ch:case_receive()})
            check("r.channel == ch", r.channel == ch)
            check("rawequal", rawequal(r.channel, ch))
            local inbox = process.inbox()
            check("inbox idempotent", process.inbox() == inbox)
            check("events idempotent", process.events() == process.events())
            process.send(process.pid(), "self", 7)
            local r2 = channel.select({inbox:case_receive()})
            check("inbox identity", r2.channel == inbox)
            eq("message", r2.value:payload():data(), 7)
            """)
    }

    @Test func nonCaseValuesAreIgnored() async {
        await expectOK("""
            local ch = channel.new(1) ch:send(3)
            local r = channel.select({"junk", 42, ch:case_receive()})
            check("channel", r.channel == ch) eq("value", r.value, 3)
            """)
    }

    @Test func selectWithManyWaitersOnOneChannelIsFIFO() async {
        await expectOK("""
            local ch, other, done = channel.new(), channel.new(), channel.new(10)
            local log = {}
            for id = 1, 3 do
                coroutine.spawn(function()
                    local r = channel.select({other:case_receive(), ch:case_receive()})
                    table.insert(log, id .. "=" .. tostring(r.value))
                    done:send(true)
                end)
            end
            for v = 1, 3 do ch:send(v) end
            for i = 1, 3 do done:receive() end
            eq("order", table.concat(log, ","), "1=1,2=2,3=3")
            """)
    }
}
