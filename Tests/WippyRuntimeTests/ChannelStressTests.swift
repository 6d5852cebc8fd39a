import Testing
import WippyCore
import WippyRuntime

/// Many tasks and channels at once: waiter bookkeeping (FIFO queues, select registrations withdrawn, closes)
/// must not lose, duplicate or reorder values.
@Suite struct ChannelStressTests {
    func expectOK(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: "return { main = function()\n\(body)\nreturn report()\nend }", timeout: .seconds(300))
        #expect(result.text == "ok", sourceLocation: sourceLocation)
    }

    @Test(arguments: [0, 1, 7])
    func manyProducersAndConsumersOnOneChannel(capacity: Int) async {
        await expectOK("""
            local ch, done = channel.new(\(capacity)), channel.new(1000)
            local producers, consumers, per = 20, 7, 300
            local seen, total, count = {}, 0, 0
            for p = 1, producers do
                coroutine.spawn(function()
                    for i = 1, per do ch:send(p * 100000 + i) end
                    done:send("p")
                end)
            end
            for c = 1, consumers do
                coroutine.spawn(function()
                    local last = {}
                    while true do
                        local v, ok = ch:receive()
                        if not ok then break end
                        local p, i = v // 100000, v % 100000
                        if (last[p] or 0) >= i then seen.reordered = true end
                        last[p] = i
                        if seen[v] then seen.duplicate = true end
                        seen[v] = true
                        total = total + v
                        count = count + 1
                    end
                    done:send("c")
                end)
            end
            for p = 1, producers do done:receive() end
            ch:close()
            for c = 1, consumers do done:receive() end
            eq("count", count, producers * per)
            eq("duplicates", seen.duplicate, nil)
            eq("per-producer order within a consumer", seen.reordered, nil)
            local expected = 0
            for p = 1, producers do for i = 1, per do expected = expected + p * 100000 + i end end
            eq("sum", total, expected)
            """)
    }

    @Test func selectFanInWithClosingProducers() async {
        await expectOK("""
            local n, per = 12, 200
            local chans, cases = {}, {}
            for i = 1, n do chans[i] = channel.new(i % 3) end
            for i = 1, n do
                coroutine.spawn(function()
                    for k = 1, per do chans[i]:send(i) end
                    chans[i]:close()
                end)
            end
            local open, counts, closes = n, {}, 0
            local active = {}
            for i = 1, n do active[i] = true end
            while open > 0 do
                local cs = {}
                for i = 1, n do if active[i] then cs[#cs + 1] = chans[i]:case_receive() end end
                local r = channel.select(cs)
                if r.ok then
                    counts[r.value] = (counts[r.value] or 0) + 1
                    check("value matches channel", chans[r.value] == r.channel)
                else
                    for i = 1, n do if chans[i] == r.channel then active[i] = false end end
                    open = open - 1
                    closes = closes + 1
                end
            end
            for i = 1, n do eq("count " .. i, counts[i], per) end
            eq("closes", closes, n)
            """)
    }

    @Test func selectSendersRaceWithPlainReceivers() async {
        await expectOK("""
            local a, b, done = channel.new(), channel.new(), channel.new(100)
            local got = {a = 0, b = 0}
            for i = 1, 5 do
                coroutine.spawn(function() for k = 1, 100 do a:receive() got.a = got.a + 1 end done:send(1) end)
                coroutine.spawn(function() for k = 1, 100 do b:receive() got.b = got.b + 1 end done:send(1) end)
            end
            local sentA, sentB = 0, 0
            for k = 1, 1000 do
                local r = channel.select({a:case_send(k), b:case_send(k)})
                if r.channel == a then sentA = sentA + 1 else sentB = sentB + 1 end
                if sentA == 500 then
                    for j = k + 1, 1000 do b:send(j) sentB = sentB + 1 end
                    break
                elseif sentB == 500 then
                    for j = k + 1, 1000 do a:send(j) sentA = sentA + 1 end
                    break
                end
            end
            for i = 1, 10 do done:receive() end
            eq("a received", got.a, 500) eq("b received", got.b, 500)
            eq("a sent", sentA, 500) eq("b sent", sentB, 500)
            """)
    }

    /// Two tasks ping-ponging forever on local channels never block the process; other processes on the
    /// worker must still run.
    @Test func endlessPingPongBetweenTasksDoesNotStarveTheWorker() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:pingpong", source: """
            return { main = function()
                local a, b = channel.new(), channel.new()
                coroutine.spawn(function() while true do b:send(a:receive()) end end)
                local n = 0
                while true do a:send(n) n = b:receive() + 1 end
            end }
            """)
        node.install("test:echo", source: """
            return { main = function() local m = process.inbox():receive() process.send(m:from(), "echo") return "ok" end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local spinner = process.spawn("test:pingpong", "app:processes")
                local echo = process.spawn("test:echo", "app:processes")
                process.send(echo, "hi")
                local m = process.inbox():receive()
                process.terminate(spinner)
                return m:topic()
            end }
            """)
        #expect(result.text == "echo")
    }
}
