import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §1.1, §1.3, §5, §S13: coroutine.spawn, user coroutines with blocking calls, pcall.
@Suite struct CoroutineSchedulingTests {
    func run(_ body: String, workers: Int = 1) async -> String {
        let node = await LuaTestNode.make(workers: workers)
        defer { node.shutdown() }
        return await node.run(source: "return { main = function()\n\(body)\nreturn report()\nend }").text
    }

    func expectOK(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let result = await run(body)
        #expect(result == "ok", sourceLocation: sourceLocation)
    }

    @Test func spawnedCoroutineRunsFirstAndSharesUpvalues() async {
        await expectOK("""
            local log, x = {}, 1
            local th = coroutine.spawn(function()
                table.insert(log, "child")
                x = x + 1
            end)
            table.insert(log, "parent")
            eq("order", table.concat(log, ","), "child,parent")
            eq("shared upvalue", x, 2)
            eq("returns a thread", type(th), "thread")
            """)
    }

    @Test func spawnedCoroutineRunsUntilItsFirstBlockingCall() async {
        await expectOK("""
            local log, ch = {}, channel.new()
            coroutine.spawn(function()
                table.insert(log, "child 1")
                ch:receive()
                table.insert(log, "child 2")
            end)
            table.insert(log, "parent")
            ch:send(true)
            coroutine.yield()
            eq("order", table.concat(log, ","), "child 1,parent,child 2")
            """)
    }

    @Test func spawnRequiresAFunction() async {
        await expectOK("""
            local ok, e = pcall(coroutine.spawn, 42)
            eq("raises", ok, false)
            """)
    }

    @Test func spawnedCoroutinesDieWhenMainReturns() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let collector = node.collector()
        let observer = Payload.string(collector.pid.description)
        let result = await node.run(source: """
            return { main = function(observer)
                coroutine.spawn(function() channel.new():receive() process.send(observer, "blocked woke") end)
                coroutine.spawn(function()
                    for i = 1, math.huge do process.send(observer, "tick", i) coroutine.yield() end
                end)
                for i = 1, 3 do coroutine.yield() end
                process.send(observer, "main done")
                return "main done"
            end }
            """, [observer])
        #expect(result.text == "main done")
        // Another process on the same (only) worker gives way many times before it sends a marker: a spawned
        // coroutine still running would get those turns and send ticks between "main done" and the marker
        // (messages from one worker reach the collector in the order they were sent).
        let marker = await node.run(source: """
            return { main = function(observer)
                for i = 1, 2000 do coroutine.yield() end
                process.send(observer, "marker")
                return "ok"
            end }
            """, [observer])
        #expect(marker.text == "ok")
        guard await node.wait("the marker", until: { collector.topics.contains("marker") }) else { return }
        let topics = collector.topics
        guard let done = topics.firstIndex(of: "main done"), let end = topics.firstIndex(of: "marker") else {
            Issue.record("missing messages: \(topics)")
            return
        }
        #expect(topics[..<done].contains("tick"))
        #expect(!topics[done..<end].contains("tick"), "a spawned coroutine kept running after main returned: \(topics)")
        #expect(!topics.contains("blocked woke"))
    }

    @Test func errorInSpawnedCoroutineKillsTheProcess() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                coroutine.spawn(function() error("child boom") end)
                channel.new():receive()
                return "survived"
            end }
            """)
        #expect(result?.error?.message.contains("child boom") == true, "\(result.text)")
    }

    @Test func errorInSpawnedCoroutineAfterBlockingKillsTheProcess() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local ch = channel.new()
                coroutine.spawn(function() ch:receive() error({code = 7}) end)
                coroutine.spawn(function() ch:send(1) end)
                channel.new():receive()
                return "survived"
            end }
            """)
        #expect(result?.error != nil, "\(result.text)")
    }

    @Test func bareYieldIsAGosched() async {
        await expectOK("""
            local log = {}
            coroutine.spawn(function() for i = 1, 3 do table.insert(log, "c" .. i) coroutine.yield() end end)
            for i = 1, 3 do table.insert(log, "m" .. i) coroutine.yield() end
            eq("interleaved", table.concat(log, ","), "c1,m1,c2,m2,c3,m3")
            """)
    }

    // MARK: - User coroutines containing blocking calls (§1.3 nested user coroutines)

    @Test func channelReceiveInsideUserCoroutineSuspendsTheWholeTask() async {
        await expectOK("""
            local ch = channel.new()
            coroutine.spawn(function() coroutine.yield() ch:send("x") ch:send("y") end)
            local co = coroutine.create(function()
                local v = ch:receive()
                coroutine.yield("got " .. v)
                return "end " .. ch:receive()
            end)
            local ok1, v1 = coroutine.resume(co)
            eq("ok1", ok1, true) eq("v1", v1, "got x")
            local ok2, v2 = coroutine.resume(co)
            eq("ok2", ok2, true) eq("v2", v2, "end y")
            eq("dead", coroutine.status(co), "dead")
            """)
    }

    @Test func inboxReceiveInsideWrapSuspendsTheWholeTask() async {
        await expectOK("""
            local f = coroutine.wrap(function()
                local inbox = process.inbox()
                local m = inbox:receive()
                coroutine.yield(m:payload():data())
                return inbox:receive():topic()
            end)
            coroutine.spawn(function() process.send(process.pid(), "first", 42) end)
            eq("first", f(), 42)
            process.send(process.pid(), "second")
            eq("second", f(), "second")
            """)
    }

    @Test func processFunctionsWorkInsideUserCoroutines() async {
        await expectOK("""
            local co = coroutine.create(function() return process.pid(), coroutine.running() ~= nil end)
            local ok, pid = coroutine.resume(co)
            eq("ok", ok, true)
            eq("pid inside coroutine", pid, process.pid())
            """)
    }

    @Test func generatorWithBlockingCallsBetweenYields() async {
        await expectOK("""
            local ch = channel.new(10)
            for i = 1, 5 do ch:send(i) end
            ch:close()
            local gen = coroutine.wrap(function()
                while true do
                    local v, ok = ch:receive()
                    if not ok then return nil end
                    coroutine.yield(v * 10)
                end
            end)
            local sum = 0
            for v in gen do sum = sum + v end
            eq("sum", sum, 150)
            """)
    }

    @Test func userYieldInsideCoroutineStaysLocalWhileAnotherTaskRuns() async {
        await expectOK("""
            local log = {}
            coroutine.spawn(function() table.insert(log, "spawned") end)
            local co = coroutine.wrap(function() coroutine.yield(1) coroutine.yield(2) return 3 end)
            local got = {co(), co(), co()}
            eq("values", table.concat(got, ","), "1,2,3")
            eq("log", table.concat(log, ","), "spawned")
            """)
    }

    // MARK: - pcall around blocking calls (§1.3)

    @Test func pcallAroundBlockingCallsWorks() async {
        await expectOK("""
            local ch = channel.new()
            coroutine.spawn(function() coroutine.yield() ch:send("v1") ch:send("v2") ch:send("v3") end)
            local ok, v = pcall(function() return ch:receive() end)
            eq("ok", ok, true) eq("v", v, "v1")
            local ok2, e2 = pcall(function() ch:receive() error("after blocking") end)
            eq("ok2", ok2, false)
            check("e2", tostring(e2):find("after blocking", 1, true), e2)
            local ok3, e3 = xpcall(function() local x = ch:receive() error({got = x}) end, function(e) return e end)
            eq("ok3", ok3, false) eq("xpcall handler got the table", type(e3) == "table" and e3.got, "v3")
            """)
    }

    @Test func pcallAroundInboxReceiveAndSpawn() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:child", source: "return { main = function(parent) process.send(parent, 'hi', 1) end }")
        let result = await node.run(source: """
            return { main = function()
                local ok, pid = pcall(process.spawn, "test:child", "app:processes", process.pid())
                eq("spawn in pcall", ok, true)
                local ok2, m = pcall(function() return process.inbox():receive() end)
                eq("receive in pcall", ok2, true)
                eq("topic", ok2 and m:topic(), "hi")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// A user coroutine may be created by one task and resumed by another; a blocking call inside it suspends
    /// the task that resumed it (the one actually running), not the task that created it.
    @Test func blockingCallInsideACoroutineSuspendsTheResumingTask() async {
        await expectOK("""
            local gate, ch = channel.new(1), channel.new()
            local co
            local creator_done = false
            coroutine.spawn(function()
                co = coroutine.wrap(function() return ch:receive() end)
                gate:receive()
                creator_done = true
            end)
            coroutine.spawn(function() coroutine.yield() ch:send("value") end)
            local v = co()
            gate:send(true)
            for i = 1, 3 do coroutine.yield() end
            eq("the resumer received the value", v, "value")
            eq("the creator was released by the gate", creator_done, true)
            """)
    }
}
