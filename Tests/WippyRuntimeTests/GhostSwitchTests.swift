import Testing
import WippyCore
import WippyRuntime

/// The ghost switch of the C hand-off (`wippy_mailboxes_resume`): a receiver parked alone in its inbox receive
/// runs straight after its sender blocks, without the runtime being told, while nothing else waits on the
/// worker. One worker, so every process shares it. The runtime must see exactly what it would have seen
/// without ghosts whenever its own code runs: a native called by a ghost, a ghost that ends, fails or is
/// preempted, a ghost picked to run next whose sender calls a native first or ends without blocking.
@Suite struct GhostSwitchTests {
    /// A relay forwards every `lap` to the next; some call a Swift native between their receive and their
    /// send (a ghost adopted by the runtime), some right after their send (the next one, picked as a ghost,
    /// handed to the runtime first). At the `end` each forwards it and returns, one fails: their sender was
    /// a ghost that ended, and the next one picked never ran in that switch.
    static let relay = """
        return { main = function(next_pid, index)
            local inbox = process.inbox()
            while true do
                local m = inbox:receive()
                local topic = m:topic()
                if topic == "lap" then
                    if index % 3 == 0 then
                        local c = channel.new(1)
                        c:send(index)
                        eq("buffered " .. index, c:receive(), index)
                    end
                    process.send(next_pid, "lap")
                    if index % 4 == 1 then local _ = channel.new() end
                else
                    process.send(next_pid, "end")
                    if index == 5 then error("relay " .. index .. " fails") end
                    return "relay " .. index
                end
            end
        end }
        """

    /// Fails if a ghost's message is lost or doubled (a lap comes back other than once), if a ghost that
    /// ends or fails is not seen ending with its own result, or if no switch ran a ghost at all.
    @Test func aRingWithNativesEndsAndAFailureKeepsEveryMessageAndResult() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:relay", source: Self.relay)
        let result = await node.run(source: """
            return { main = function()
                local count = 12
                local inbox = process.inbox()
                local head = process.pid()
                local index_of = {}
                for i = count, 1, -1 do
                    head = process.spawn_monitored("test:relay", "app:processes", head, i)
                    index_of[head] = i
                end
                for lap = 1, 300 do
                    process.send(head, "lap")
                    local m = inbox:receive()
                    eq("lap " .. lap, m:topic(), "lap")
                end
                process.send(head, "end")
                eq("end", inbox:receive():topic(), "end")
                local events = process.events()
                local ended = 0
                for _ = 1, count do
                    local ev = events:receive()
                    local i = index_of[ev.from]
                    eq("exit kind", ev.kind, process.event.EXIT)
                    if i == 5 then
                        check("failure of relay 5", ev.result.error and tostring(ev.result.error):find("relay 5 fails", 1, true), ev.result.error)
                    else
                        eq("result of relay " .. tostring(i), ev.result.value, "relay " .. tostring(i))
                    end
                    ended = ended + 1
                end
                eq("ended", ended, count)
                return report()
            end }
            """)
        #expect(result?.text == "ok")
        let ghosts = await ghostSwitches(node)
        // 300 laps over 12 relays, most of them switched to as ghosts
        #expect(ghosts > 1_000)
    }

    /// Every relay calls a Swift native between its receive and its send, so each is adopted by the runtime
    /// as a ghost on every lap. Fails if the adoption leaves the runtime's picture wrong (the task still
    /// parked on its inbox as the runtime sees it): its next receive then cannot block in C armed for the
    /// hand-off, and later laps are no ghosts.
    @Test func aGhostThatCallsANativeIsAdoptedAndStaysArmed() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:busy", source: """
            return { main = function(next_pid)
                local inbox = process.inbox()
                while true do
                    local m = inbox:receive()
                    local c = channel.new(1)
                    c:send(m:topic())
                    process.send(next_pid, c:receive())
                end
            end }
            """)
        let before = await ghostSwitches(node)
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local head = process.pid()
                for _ = 1, 8 do head = process.spawn("test:busy", "app:processes", head) end
                for lap = 1, 200 do
                    process.send(head, "lap")
                    eq("lap " .. lap, inbox:receive():topic(), "lap")
                end
                return report()
            end }
            """)
        #expect(result?.text == "ok")
        let ghosts = await ghostSwitches(node) - before
        // 200 laps of 9 hops; the first laps arm the records, the switch stops every 32 hops
        #expect(ghosts >= 1_200, "\(ghosts) ghost switches")
    }

    func ghostSwitches(_ node: LuaTestNode) async -> UInt64 {
        await node.onFirstWorker { $0.ghostSwitches }
    }

    /// A ghost that computes for many slices is preempted like any process: a process woken behind it runs
    /// (and answers) before the ghost is done. Fails if a ghost's slice is not enforced.
    @Test func aGhostThatComputesIsPreempted() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:spinner", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "ready")
                inbox:receive()
                local x = 0
                for i = 1, 100000000 do x = x + i end
                process.send(parent, "spun", x)
            end }
            """)
        node.install("test:answerer", source: """
            return { main = function(parent)
                local inbox = process.inbox()
                process.send(parent, "ready")
                inbox:receive()
                process.send(parent, "answer")
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local me = process.pid()
                local inbox = process.inbox()
                local spinner = process.spawn("test:spinner", "app:processes", me)
                eq("spinner ready", inbox:receive():topic(), "ready")
                local answerer = process.spawn("test:answerer", "app:processes", me)
                eq("answerer ready", inbox:receive():topic(), "ready")
                -- the spinner is picked to run next as this process blocks; the answerer is queued behind it
                process.send(spinner, "go")
                process.send(answerer, "go")
                eq("first", inbox:receive():topic(), "answer")
                eq("second", inbox:receive():topic(), "spun")
                return report()
            end }
            """)
        #expect(result?.text == "ok")
    }
}
