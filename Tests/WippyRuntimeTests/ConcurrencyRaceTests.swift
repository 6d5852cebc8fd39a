import Testing
import WippyCore
import WippyRuntime

/// Races between workers: names, monitors and links set up while the target is exiting on another thread.
@Suite struct ConcurrencyRaceTests {
    /// Many processes on both workers register the same name at once: exactly one wins, the others get
    /// AlreadyExists naming the winner.
    @Test func exactlyOneProcessWinsAContestedName() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let collector = node.collector()
        node.install("test:contender", source: """
            return { main = function(sink, gate)
                local ok, err = process.registry.register("contested")
                if ok then
                    process.send(sink, "won", process.pid())
                else
                    local d = err and err:details()
                    process.send(sink, "lost", errors.is(err, errors.ALREADY_EXISTS) and d and d.pid or "bad error")
                end
                process.inbox():receive()
            end }
            """)
        let sink = Payload.string(collector.pid.description)
        var pids: [PID] = []
        for _ in 0..<60 { pids.append(node.spawn("test:contender", [sink])) }
        guard await node.wait("every contender", until: { collector.messages.count == 60 }) else { return }
        let winners = collector.messages.filter { $0.topic == "won" }
        #expect(winners.count == 1)
        let winner = winners.first?.payloads.first?.stringValue
        let losers = collector.messages.filter { $0.topic == "lost" }
        #expect(losers.allSatisfy { $0.payloads.first?.stringValue == winner }, "losers must name the winner")
        for pid in pids { node.send(pid, topic: "go") }
    }

    /// Monitoring a process that is exiting on another worker: either monitor fails with NotFound, or an EXIT
    /// arrives. Never both missing.
    @Test func monitorRacingWithExitNeverLosesTheExit() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let rounds = 2000
        node.install("test:short", source: "return { main = function() return 'gone' end }")
        node.install("test:watcher", source: """
            return { main = function(rounds)
                local inbox, events = process.inbox(), process.events()
                local expected, notfound, bad = 0, 0, 0
                for i = 1, rounds do
                    local pid = inbox:receive():payload():data()
                    local ok, err = process.monitor(pid)
                    if ok then expected = expected + 1
                    elseif errors.is(err, errors.NOT_FOUND) then notfound = notfound + 1
                    else bad = bad + 1 end
                end
                for i = 1, expected do
                    local ev = events:receive()
                    if ev.kind ~= "pid.exit" then bad = bad + 1 end
                end
                return "bad " .. bad .. " total " .. (expected + notfound)
            end }
            """)
        let watcher = node.spawn("test:watcher", [.int(Int64(rounds))])
        for _ in 0..<rounds {
            let child = node.spawn("test:short")
            node.send(watcher, topic: "pid", [.string(child.description)])
        }
        #expect(await node.result(of: watcher).text == "bad 0 total \(rounds)")
    }

    /// Linking to a process that fails on another worker: either link fails, or the LINK_DOWN arrives.
    @Test func linkRacingWithFailureNeverLosesTheLinkDown() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let rounds = 2000
        node.install("test:crash", source: "return { main = function() error('down', 0) end }")
        node.install("test:linker", source: """
            return { main = function(rounds)
                process.set_options({trap_links = true})
                local inbox, events = process.inbox(), process.events()
                local expected, notfound, bad = 0, 0, 0
                for i = 1, rounds do
                    local pid = inbox:receive():payload():data()
                    local ok, err = process.link(pid)
                    if ok then expected = expected + 1
                    elseif errors.is(err, errors.NOT_FOUND) then notfound = notfound + 1
                    else bad = bad + 1 end
                end
                for i = 1, expected do
                    local ev = events:receive()
                    if ev.kind ~= "pid.link.down" then bad = bad + 1 end
                end
                return "bad " .. bad .. " total " .. (expected + notfound)
            end }
            """)
        let linker = node.spawn("test:linker", [.int(Int64(rounds))])
        for _ in 0..<rounds {
            let child = node.spawn("test:crash")
            node.send(linker, topic: "pid", [.string(child.description)])
        }
        #expect(await node.result(of: linker).text == "bad 0 total \(rounds)")
    }
}
