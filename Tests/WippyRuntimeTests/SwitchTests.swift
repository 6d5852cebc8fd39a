import Testing
import WippyCore
import WippyRuntime

/// The switch of `wippy_mailboxes_resume` (LuaProcess+HandOff): when a process blocks in a plain
/// `inbox:receive()` right after its C hand-off woke another process of its worker, and nothing else waits on
/// the worker, the woken process runs straight from there, without the run queue. One worker, so every
/// process shares it and the switch is taken on every hop of these exchanges.
@Suite struct SwitchTests {
    /// Tokens go round a ring of relays many times. Each relay checks that its tokens come in order, and the
    /// head checks every lap. Fails if a switched-to process gets a message twice, loses one, or runs with
    /// the wrong resume values (the head then waits for ever, or a relay reports "bad").
    @Test func aRingOfSwitchingProcessesKeepsEveryTokenInOrder() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:relay", source: """
            return { main = function(next_pid)
                local inbox = process.inbox()
                local last = 0
                while true do
                    local m = inbox:receive()
                    local n = m:payload():data()
                    if m:topic() ~= "token" then process.send(next_pid, m:topic(), n) return end
                    if n ~= last + 1 then process.send(next_pid, "bad", n) return end
                    last = n
                    process.send(next_pid, "token", n)
                end
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local head = process.pid()
                for _ = 1, 6 do head = process.spawn("test:relay", "app:processes", head) end
                for lap = 1, 300 do
                    process.send(head, "token", lap)
                    local m = inbox:receive()
                    eq("topic of lap " .. lap, m:topic(), "token")
                    eq("token of lap " .. lap, m:payload():data(), lap)
                end
                process.send(head, "stop", 0)
                eq("the stop went round", inbox:receive():topic(), "stop")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// Two processes play ping-pong until a third one, busy for many slices on the same worker, reports that
    /// it finished. Fails (the test's hang guard) if the switch keeps the worker to the two talkers: the busy
    /// process must still get its turns.
    @Test func aBusyProcessStillRunsWhileTwoProcessesPingPong() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:pong", source: """
            return { main = function()
                local inbox = process.inbox()
                while true do
                    local m = inbox:receive()
                    if m:topic() == "stop" then return end
                    process.send(m:from(), "pong")
                end
            end }
            """)
        node.install("test:busy", source: """
            return { main = function(parent)
                local x = 0
                for i = 1, 20000000 do x = x + i % 7 end
                process.send(parent, "done", x)
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local pong = process.spawn("test:pong", "app:processes")
                process.send(pong, "ping")
                eq("first pong", inbox:receive():topic(), "pong")
                process.spawn("test:busy", "app:processes", process.pid())
                local trips = 0
                while true do
                    process.send(pong, "ping")
                    local m = inbox:receive()
                    if m:topic() == "done" then break end
                    eq("reply", m:topic(), "pong")
                    trips = trips + 1
                end
                process.send(pong, "stop")
                check("some trips while the busy one ran", trips > 0, trips)
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }

    /// A process that the switch ran fails with an error: it must end with that error, seen by its monitor,
    /// and the process that switched to it goes on. Fails if the failure of a switched-to process is lost
    /// (no EXIT: the main process waits for ever) or charged to the wrong process (the main process ends).
    @Test func aSwitchedToProcessThatFailsEndsWithItsError() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:fragile", source: """
            return { main = function()
                local inbox = process.inbox()
                while true do
                    local m = inbox:receive()
                    if m:topic() == "boom" then error("boom at " .. tostring(m:payload():data())) end
                    process.send(m:from(), "ok", m:payload():data())
                end
            end }
            """)
        // Forwards its monitored process's EXIT to the parent's inbox, where a plain receive waits for it.
        node.install("test:watcher", source: """
            return { main = function(parent, watched)
                process.monitor(watched)
                process.send(parent, "watching")
                local ev = process.events():receive()
                local e = ev.result and ev.result.error
                process.send(parent, "exit", e and e:message() or "no error")
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local fragile = process.spawn("test:fragile", "app:processes")
                process.spawn("test:watcher", "app:processes", process.pid(), fragile)
                eq("watcher ready", inbox:receive():topic(), "watching")
                for i = 1, 20 do
                    process.send(fragile, "ping", i)
                    eq("reply " .. i, inbox:receive():payload():data(), i)
                end
                process.send(fragile, "boom", 7)
                local m = inbox:receive()
                eq("exit reported", m:topic(), "exit")
                local text = m:payload():data()
                check("the error is the fragile process's", string.find(text, "boom at 7", 1, true) ~= nil, text)
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }
}
