import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §4.1/§4.2, §S2: channel send/receive/close inside one process.
@Suite struct ChannelSemanticsTests {
    func run(_ body: String) async -> String {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        return await node.run(source: "return { main = function()\n\(body)\nreturn report()\nend }").text
    }

    func expectOK(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let result = await run(body)
        #expect(result == "ok", sourceLocation: sourceLocation)
    }

    @Test func bufferedChannelIsFIFOAndDoesNotBlockUntilFull() async {
        await expectOK("""
            local ch = channel.new(3)
            eq("send 1", ch:send(1), true)
            ch:send(2)
            ch:send(nil)
            local a, oka = ch:receive()
            local b = ch:receive()
            local c, okc = ch:receive()
            eq("a", a, 1) eq("b", b, 2) eq("c is nil", c, nil) eq("nil value ok", okc, true) eq("oka", oka, true)
            """)
    }

    @Test func unbufferedSendBlocksUntilAReceiverTakesIt() async {
        await expectOK("""
            local ch = channel.new()
            local log = {}
            coroutine.spawn(function()
                table.insert(log, "sender start")
                ch:send("x")
                table.insert(log, "sender resumed")
            end)
            table.insert(log, "main before receive")
            local v, ok = ch:receive()
            table.insert(log, "main got " .. tostring(v))
            coroutine.yield()
            eq("order", table.concat(log, ","), "sender start,main before receive,main got x,sender resumed")
            eq("ok", ok, true)
            """)
    }

    @Test func negativeSizeIsUnbuffered() async {
        await expectOK("""
            local ch = channel.new(-5)
            local r = channel.select({ch:case_send(1), default = true})
            eq("cannot send without receiver", r.default, true)
            """)
    }

    @Test func receiversAreWokenFIFO() async {
        await expectOK("""
            local ch, done = channel.new(), channel.new(10)
            local log = {}
            for id = 1, 4 do
                coroutine.spawn(function()
                    local v = ch:receive()
                    table.insert(log, id .. ":" .. v)
                    done:send(true)
                end)
            end
            for v = 1, 4 do ch:send(v) end
            for i = 1, 4 do done:receive() end
            eq("wake order", table.concat(log, ","), "1:1,2:2,3:3,4:4")
            """)
    }

    @Test func blockedSendersAreServedFIFO() async {
        await expectOK("""
            local ch = channel.new()
            for _, v in ipairs({"a", "b", "c", "d"}) do
                coroutine.spawn(function() ch:send(v) end)
            end
            local got = {}
            for i = 1, 4 do got[i] = ch:receive() end
            eq("order", table.concat(got), "abcd")
            """)
    }

    @Test func bufferedChannelWithBlockedSendersKeepsOrder() async {
        await expectOK("""
            local ch = channel.new(2)
            ch:send(1) ch:send(2)
            for v = 3, 5 do coroutine.spawn(function() ch:send(v) end) end
            local got = {}
            for i = 1, 5 do got[i] = ch:receive() end
            eq("order", table.concat(got, ","), "1,2,3,4,5")
            """)
    }

    @Test func closeWakesBlockedReceiversWithNilFalse() async {
        await expectOK("""
            local ch, done = channel.new(), channel.new(10)
            local log = {}
            for id = 1, 3 do
                coroutine.spawn(function()
                    local v, ok = ch:receive()
                    table.insert(log, tostring(v) .. "/" .. tostring(ok))
                    done:send(true)
                end)
            end
            ch:close()
            for i = 1, 3 do done:receive() end
            eq("woken", table.concat(log, ","), "nil/false,nil/false,nil/false")
            local v, ok = ch:receive()
            eq("again v", v, nil) eq("again ok", ok, false)
            local v2, ok2 = ch:receive()
            eq("forever", ok2, false)
            """)
    }

    @Test func closeWakesBlockedSendersWithNilAndAnError() async {
        await expectOK("""
            local ch, done = channel.new(), channel.new(10)
            local log = {}
            for id = 1, 2 do
                coroutine.spawn(function()
                    local ok, r, e = pcall(ch.send, ch, id)
                    table.insert(log, tostring(ok) .. "/" .. tostring(r) .. "/" .. tostring(e))
                    done:send(true)
                end)
            end
            ch:close()
            for i = 1, 2 do done:receive() end
            eq("senders get nil, err (returned, not raised)", table.concat(log, ","),
               "true/nil/send on closed channel,true/nil/send on closed channel")
            """)
    }

    @Test func sendOnClosedChannelRaises() async {
        await expectOK("""
            local ch = channel.new(5)
            ch:close()
            local ok, e = pcall(ch.send, ch, 1)
            eq("raises", ok, false)
            check("message", tostring(e):find("send on closed channel", 1, true), e)
            local ok2 = pcall(ch.send, ch, 2)
            eq("raises again", ok2, false)
            """)
    }

    @Test func closeTwiceIsANoOpAndBufferedValuesRemainReceivable() async {
        await expectOK("""
            local ch = channel.new(3)
            ch:send("a") ch:send("b")
            ch:close()
            local ok = pcall(ch.close, ch)
            eq("second close", ok, true)
            local v1, ok1 = ch:receive()
            local v2, ok2 = ch:receive()
            local v3, ok3 = ch:receive()
            eq("v1", v1, "a") eq("ok1", ok1, true) eq("v2", v2, "b") eq("ok2", ok2, true)
            eq("v3", v3, nil) eq("ok3", ok3, false)
            """)
    }

    @Test func closeReturnsNothing() async {
        await expectOK("""
            local ch = channel.new()
            eq("results", select("#", ch:close()), 0)
            """)
    }

    @Test func channelsAreUsableInsideUserCoroutineWithoutBlocking() async {
        await expectOK("""
            local ch = channel.new(1)
            local co = coroutine.create(function() ch:send(5) return ch:receive() end)
            local ok, v = coroutine.resume(co)
            eq("ok", ok, true) eq("v", v, 5)
            """)
    }

    @Test func misuseRaisesArgumentErrors() async {
        await expectOK("""
            local ch = channel.new()
            local ok, e = pcall(ch.receive, {})
            eq("bad self raises", ok, false)
            local ok2 = pcall(channel.select, "x")
            eq("select non-table raises", ok2, false)
            """)
    }

    /// A blocking receive attempted where the task cannot yield (inside a __tostring called by the C function
    /// tostring, a C call that calls back into Lua) fails; it must not
    /// leave the task registered as a receiver, or a later value sent on the channel is handed to nobody.
    @Test func failedBlockingReceiveLeavesNoPhantomReceiver() async {
        await expectOK("""
            local ch = channel.new()
            local got = {}
            coroutine.spawn(function()
                while true do
                    local v, ok = ch:receive()
                    if not ok then return end
                    table.insert(got, v)
                end
            end)
            local probe = setmetatable({}, {__tostring = function() ch:receive() return "x" end})
            local ok, e = pcall(tostring, probe)
            eq("blocking in a __tostring called from C fails", ok, false)
            ch:send("one")
            ch:send("two")
            ch:send("three")
            for i = 1, 5 do coroutine.yield() end
            eq("every value reached the real receiver", table.concat(got, ","), "one,two,three")
            """)
    }

    @Test func failedBlockingSendLeavesNoPhantomSender() async {
        await expectOK("""
            local ch = channel.new()
            local probe = setmetatable({}, {__tostring = function() ch:send("phantom") return "x" end})
            local ok, e = pcall(tostring, probe)
            eq("blocking in a __tostring called from C fails", ok, false)
            local r = channel.select({ch:case_receive(), default = true})
            eq("nothing to receive", r.default, true)
            """)
    }
}
