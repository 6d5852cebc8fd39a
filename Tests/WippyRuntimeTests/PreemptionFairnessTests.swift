import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif
import WippyCore
import WippyRuntime

/// A process that never blocks must not starve the other processes of its worker, and can be terminated.
@Suite struct PreemptionFairnessTests {
    static let ponger = """
        return { main = function()
            local inbox = process.inbox()
            while true do
                local m = inbox:receive()
                if m:topic() == "stop" then return "stopped" end
                process.send(m:from(), "pong", m:payload():data())
            end
        end }
        """

    @Test func infiniteLoopDoesNotStarveAnotherProcessOnTheSameWorker() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:looper", source: "return { main = function() while true do end end }")
        node.install("test:ponger", source: Self.ponger)
        let result = await node.run(source: """
            return { main = function()
                local looper = process.spawn_monitored("test:looper", "app:processes")
                local ponger = process.spawn("test:ponger", "app:processes")
                local inbox = process.inbox()
                for i = 1, 20 do
                    process.send(ponger, "ping", i)
                    local m = inbox:receive()
                    eq("pong " .. i, m:payload():data(), i)
                end
                eq("terminate", process.terminate(looper), true)
                local ev = process.events():receive()
                eq("exit kind", ev.kind, process.event.EXIT)
                eq("exit from", ev.from, looper)
                check("terminated error", ev.result.error and tostring(ev.result.error):find("process terminated", 1, true), ev.result.error)
                process.send(ponger, "stop")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// Tasks of one process that yield between read-modify-writes of a shared upvalue: a task preempted
    /// inside one goes on first when the process runs again, so no update is lost (with the preempted task
    /// put behind the others, another task would write in between and most of the work would be lost).
    @Test func aPreemptedTaskGoesOnBeforeTheOtherTasksOfItsProcess() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local total, tasks, rounds = 0, 4, 3000
                local done = channel.new(tasks)
                for k = 1, tasks do
                    coroutine.spawn(function()
                        for i = 1, rounds do
                            local seen = total
                            local s = 0
                            for j = 1, 300 do s = s + j end
                            total = seen + 1
                            coroutine.yield()
                        end
                        done:send(k)
                    end)
                end
                for k = 1, tasks do done:receive() end
                eq("total", total, tasks * rounds)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func loopingSpawnedCoroutineDoesNotStarveTheOtherTasksOfItsProcess() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:ponger", source: Self.ponger)
        let result = await node.run(source: """
            return { main = function()
                local spins = 0
                coroutine.spawn(function() while true do spins = spins + 1 end end)
                local ponger = process.spawn("test:ponger", "app:processes")
                process.send(ponger, "ping", 1)
                local m = process.inbox():receive()
                eq("pong", m:payload():data(), 1)
                check("spinner ran", spins > 0)
                process.send(ponger, "stop")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func loopInsideUserCoroutineIsPreemptedTransparently() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:ponger", source: Self.ponger)
        node.install("test:cruncher", source: """
            return { main = function()
                local co = coroutine.wrap(function()
                    local s = 0
                    for i = 1, 30000000 do s = s + i end
                    coroutine.yield(s)
                    return "end"
                end)
                return tostring(co()) .. "|" .. co()
            end }
            """)
        let cruncher = node.spawn("test:cruncher")
        let result = await node.run(source: """
            return { main = function()
                local ponger = process.spawn("test:ponger", "app:processes")
                process.send(ponger, "ping", 1)
                local m = process.inbox():receive()
                process.send(ponger, "stop")
                return "pong " .. tostring(m:payload():data())
            end }
            """)
        #expect(result.text == "pong 1")
        #expect(await node.result(of: cruncher, timeout: .seconds(300)).text == "450000015000000|end")
    }

    @Test func infiniteLoopInsideUserCoroutineDoesNotStarveAndCanBeTerminated() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:ponger", source: Self.ponger)
        node.install("test:spinner", source: """
            return { main = function()
                local co = coroutine.create(function() while true do end end)
                coroutine.resume(co)
                return "resume returned"
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local spinner = process.spawn_monitored("test:spinner", "app:processes")
                local ponger = process.spawn("test:ponger", "app:processes")
                process.send(ponger, "ping", 5)
                eq("pong", process.inbox():receive():payload():data(), 5)
                process.terminate(spinner)
                local ev = process.events():receive()
                eq("from", ev.from, spinner)
                check("terminated", ev.result.error ~= nil and tostring(ev.result.error):find("terminated", 1, true), ev.result.value)
                process.send(ponger, "stop")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// A loop inside a string.gsub replacement function (Lua called back from a C function) must not hold the
    /// worker: the other process is served while the looper is still in its callback, which it leaves only when
    /// that process, once served, tells it to. (The callback runs under lua_callk with a continuation, so it is
    /// preempted like any Lua code.) Without preemption there the client never runs and the wait fails.
    @Test func longLoopInsideGsubCallbackDoesNotStarveTheWorker() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:ponger", source: Self.ponger)
        let collector = node.collector()
        let sink = Payload.string(collector.pid.description)
        node.install("test:gsub-looper", source: """
            return { main = function(observer)
                process.registry.register("gsub-looper")
                local inbox = process.inbox()
                process.send(observer, "looper started")
                local spins = 0
                local r = string.gsub("a", "a", function(c)
                    while true do
                        spins = spins + 1
                        local m = channel.select{inbox:case_receive(), default = true}
                        if not m.default then break end
                    end
                    return c .. "!"
                end)
                process.send(observer, "looper done")
                return r .. " " .. tostring(spins > 0)
            end }
            """)
        node.install("test:client", source: """
            return { main = function(observer)
                local ponger = process.spawn("test:ponger", "app:processes")
                process.send(ponger, "ping", 1)
                process.inbox():receive()
                process.send(observer, "pong received")
                process.send(ponger, "stop")
                process.send("gsub-looper", "stop")
                return "ok"
            end }
            """)
        let looper = node.spawn("test:gsub-looper", [sink])
        guard await node.wait("looper started", until: { collector.topics.contains("looper started") }) else { return }
        let client = node.spawn("test:client", [sink])
        #expect(await node.result(of: client)?.text == "ok")
        #expect(await node.result(of: looper)?.text == "a! true")
        guard await node.wait("both reports", until: { collector.topics.count >= 3 }) else { return }
        #expect(collector.topics == ["looper started", "pong received", "looper done"])
    }

    /// Host shutdown must end a process that never blocks (it ignores CANCEL, so it is terminated at the
    /// deadline). `stop` runs on its own thread; the test waits for it with the hang guard.
    @Test func hostStopEndsALoopingProcess() async {
        let node = await LuaTestNode.make(workers: 1)
        node.install("test:looper", source: "return { main = function() while true do end end }")
        let looper = node.spawn("test:looper")
        let stopped = StopFlag()
        let host = node.host
        detachThread { host.stop(timeout: .milliseconds(200)); stopped.set() }
        #expect(await node.wait("host.stop to return", until: { stopped.isSet }))
        #expect(await node.result(of: looper)?.error?.message == "process terminated")
        node.shutdown()
    }
}

final class StopFlag: @unchecked Sendable {
    private let lock = Mutex<Bool>(false)
    func set() { lock.withLock { $0 = true } }
    var isSet: Bool { lock.withLock { $0 } }
}
