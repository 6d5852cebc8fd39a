import Testing
import WippyCore
import WippyRuntime

/// Children start on their parent's worker; an idle worker takes over processes that have not started yet.
/// Work must still reach every core, and moving a process must not reorder what any sender sent it.
@Suite struct WorkStealingTests {
    /// The worker index each live process of `pids` runs on (nil for one that ended).
    private func workers(of pids: [PID], in node: LuaTestNode) -> [Int?] {
        pids.map { node.node.cellIfAlive($0)?.worker.index }
    }

    /// How many of `pids` run on the worker holding fewer of them: 0 when they all share one.
    private func moved(_ pids: [PID], in node: LuaTestNode) -> Int {
        let counts = workers(of: pids, in: node).compactMap { $0 }.reduce(into: [Int: Int]()) { $0[$1, default: 0] += 1 }
        return counts.count > 1 ? counts.values.min() ?? 0 : 0
    }

    /// Sends `stop` to each of `pids` and waits until none is alive.
    private func stop(_ pids: [PID], in node: LuaTestNode) async {
        for pid in pids { node.send(pid, topic: "stop") }
        #expect(await node.wait("children gone", until: { pids.allSatisfy { !node.node.isAlive($0) } }))
    }

    /// Two CPU-bound children of one parent: both are placed on the parent's worker, and the idle worker must
    /// take one over, or they would share one core for ever (a started process never moves).
    @Test func busyChildrenOfOneParentEndUpOnBothWorkers() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let collector = node.collector()
        node.install("test:busy", source: """
            return { main = function()
                local x = 0
                while true do x = x + 1 end
            end }
            """)
        // Both workers made their Lua state and went idle (an idle worker asks for work): spawns from outside go
        // round-robin, so two short processes run one on each. A worker still starting when the parent spawns
        // would ask only after both children started, and started processes do not move.
        for _ in 0..<2 { #expect(await node.run(source: "return { main = function() return 'ready' end }").text == "ready") }
        let parent = await node.run(source: """
            return { main = function(sink)
                local a = process.spawn("test:busy", "app:processes")
                local b = process.spawn("test:busy", "app:processes")
                process.send(sink, "children", a, b)
                return "spawned"
            end }
            """, [.string(collector.pid.description)])
        #expect(parent.text == "spawned")
        #expect(await node.wait("the two pids", until: { collector.messages.count >= 1 }))
        let pids = collector.messages.first?.payloads.compactMap { $0.stringValue }.compactMap { PID(parsing: $0) } ?? []
        #expect(pids.count == 2)
        // Both run until terminated, so where they are is stable once both started.
        let apart = await node.wait("the children on different workers", until: {
            let placed = workers(of: pids, in: node)
            return placed.count == 2 && placed[0] != nil && placed[1] != nil && placed[0] != placed[1]
        })
        #expect(apart, "workers: \(workers(of: pids, in: node))")
        for pid in pids { node.node.terminate(pid) }
        #expect(await node.wait("children gone", until: { pids.allSatisfy { !node.node.isAlive($0) } }))
    }

    /// With the other worker busy (so it never asks for work), a chain of children stays on its parent's
    /// worker: a message along it never crosses threads. (Spreading by backlog put runs of them on the other
    /// worker.)
    @Test func childrenStayOnTheirParentsWorkerWhileTheOtherIsBusy() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let collector = node.collector()
        // It reports once running: its worker, idle until then, may have asked for work before parking, and
        // withdraws that request only when it wakes for this process. A parent spawning before that (under a
        // loaded host, the wake-up can be late) would have half of its children taken by that request.
        node.install("test:busy", source: """
            return { main = function(sink) process.send(sink, "running") local x = 0 while true do x = x + 1 end end }
            """)
        node.install("test:link", source: "return { main = function(next) local m = process.inbox():receive() end }")
        node.install("test:parent", source: """
            return { main = function(sink, n)
                local pids, next = {}, sink
                for i = 1, n do
                    next = process.spawn("test:link", "app:processes", next)
                    pids[i] = next
                end
                process.send(sink, "pids", table.unpack(pids))
                process.inbox():receive()
            end }
            """)
        let busy = node.spawn("test:busy", [.string(collector.pid.description)])
        #expect(await node.wait("the busy process running", until: { collector.messages.contains { $0.from == busy } }))
        // Spawns from outside go round-robin: take the first parent that lands beside the busy process's worker.
        var parent: PID?
        var extras: [PID] = []
        for _ in 0..<4 {
            guard await node.wait("the busy process placed", until: { node.node.cellIfAlive(busy) != nil }) else { break }
            let candidate = node.spawn("test:parent", [.string(collector.pid.description), .int(50)])
            if node.node.cellIfAlive(candidate)?.worker !== node.node.cellIfAlive(busy)?.worker {
                parent = candidate
                break
            }
            extras.append(candidate)
        }
        #expect(parent != nil)
        if let parent {
            let parentWorker = node.node.cellIfAlive(parent)?.worker.index
            #expect(await node.wait("the chain", until: {
                collector.messages.contains { $0.from == parent }
            }))
            let message = collector.messages.first { $0.from == parent }
            let pids = message?.payloads.compactMap { $0.stringValue }.compactMap { PID(parsing: $0) } ?? []
            #expect(pids.count == 50)
            let elsewhere = workers(of: pids, in: node).filter { $0 != parentWorker }.count
            #expect(elsewhere == 0, "\(elsewhere) of 50 children on another worker than their parent's")
            node.node.terminate(parent)
        }
        for pid in extras { node.node.terminate(pid) }
        node.node.terminate(busy)
    }

    /// A parent spawns many children and at once sends each three numbered messages, while the test thread
    /// sends each two more: children that moved to the other worker before starting must see both senders'
    /// messages in the order each sent them (the parent's travel in the moved mailbox, the test thread's go
    /// through the child's first worker, which forwards them).
    @Test func movedChildrenSeeEachSendersOrder() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let collector = node.collector()
        node.install("test:ordered", source: """
            return { main = function(sink)
                local inbox = process.inbox()
                local last = { a = 0, b = 0 }
                local ok = true
                for _ = 1, 5 do
                    local m = inbox:receive()
                    local n = m:payload():data()
                    if n ~= last[m:topic()] + 1 then ok = false end
                    last[m:topic()] = n
                end
                process.send(sink, "order", ok and "ok" or "out of order")
                inbox:receive()
            end }
            """)
        var moved = 0
        var rounds = 0
        // Moves depend on the other worker asking at the right moment: a few rounds make some certain.
        while moved == 0 && rounds < 20 {
            rounds += 1
            let before = collector.messages.count
            let spawner = await node.run(source: """
                return { main = function(sink, n)
                    local pids = {}
                    for i = 1, n do
                        local pid = process.spawn("test:ordered", "app:processes", sink)
                        for k = 1, 3 do process.send(pid, "a", k) end
                        pids[i] = pid
                    end
                    process.send(sink, "pids", table.unpack(pids))
                    return "spawned"
                end }
                """, [.string(collector.pid.description), .int(100)])
            #expect(spawner.text == "spawned")
            #expect(await node.wait("the pids", until: { collector.messages.count > before }))
            let pids = collector.messages[before].payloads.compactMap { $0.stringValue }.compactMap { PID(parsing: $0) }
            #expect(pids.count == 100)
            for pid in pids {
                for k in 1...2 { node.send(pid, topic: "b", [.int(Int64(k))]) }
            }
            #expect(await node.wait("100 reports", until: { collector.messages.count >= before + 1 + 100 }))
            let reports = collector.messages[(before + 1)...].compactMap { $0.payloads.first?.stringValue }
            #expect(reports.allSatisfy { $0 == "ok" }, "\(reports.filter { $0 != "ok" }.count) out of order")
            moved = self.moved(pids, in: node)
            await stop(pids, in: node)
        }
        #expect(moved > 0, "no child moved in \(rounds) rounds")
    }

    /// Children whose arguments were kept as Lua values on their parent's worker leave them as payloads when
    /// they move before starting: each kind a kept argument can be (integer, float, boolean, nil, ASCII and
    /// other UTF-8 short strings) must arrive as it was sent, on whichever worker the child starts.
    @Test func movedChildrenGetTheirArgumentsIntact() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        let collector = node.collector()
        // Shareable (as the translator marks a chunk holding no per-process state): only then are a spawn's
        // arguments kept as Lua values on the parent's worker.
        let source = """
            return { main = function(sink, i, half, flag, missing, text, accented, big)
                local ok = math.type(i) == "integer" and math.type(half) == "float" and half == i + 0.5
                    and flag == true and missing == nil and text == "child-" .. i and accented == "café-" .. i
                    and big == math.maxinteger
                process.send(sink, "args", ok and "ok" or string.format("wrong: %s %s %s %s %s %s %s",
                    tostring(i), tostring(half), tostring(flag), tostring(missing), tostring(text),
                    tostring(accented), tostring(big)))
                process.inbox():receive()
            end }
            """
        node.runtime.install(LuaProgram(
            entryID: EntryID(parsing: "test:args"), kind: .process, translatedSource: Array(source.utf8), method: "main",
            modules: [], imports: [], sourceFile: nil, holdsNoProcessState: true))
        var moved = 0
        var rounds = 0
        // Moves depend on the other worker asking at the right moment: a few rounds make some certain.
        while moved == 0 && rounds < 20 {
            rounds += 1
            let before = collector.messages.count
            let spawner = await node.run(source: """
                return { main = function(sink, n)
                    -- One child started here first: a spawn keeps its arguments as Lua values only once the
                    -- entry's shared instance exists on this worker (the one child cannot move: nothing else
                    -- is queued beside it while this process waits).
                    local first = process.spawn("test:args", "app:processes", process.pid(), 0, 0.5, true, nil,
                        "child-0", "café-0", math.maxinteger)
                    local report = process.inbox():receive():payload():data()
                    process.send(first, "stop")
                    if report ~= "ok" then return report end
                    local pids = {}
                    for i = 1, n do
                        pids[i] = process.spawn("test:args", "app:processes", sink, i, i + 0.5, true, nil,
                            "child-" .. i, "café-" .. i, math.maxinteger)
                    end
                    process.send(sink, "pids", table.unpack(pids))
                    return "spawned"
                end }
                """, [.string(collector.pid.description), .int(100)])
            #expect(spawner.text == "spawned")
            #expect(await node.wait("the pids and 100 reports", until: { collector.messages.count >= before + 101 }))
            let batch = collector.messages[before...]
            let pids = batch.first { $0.topic == "pids" }?.payloads.compactMap { $0.stringValue }.compactMap { PID(parsing: $0) } ?? []
            #expect(pids.count == 100)
            let reports = batch.filter { $0.topic == "args" }.compactMap { $0.payloads.first?.stringValue }
            #expect(reports.count == 100)
            #expect(reports.allSatisfy { $0 == "ok" }, "\(reports.filter { $0 != "ok" })")
            moved = self.moved(pids, in: node)
            await stop(pids, in: node)
        }
        #expect(moved > 0, "no child moved in \(rounds) rounds")
        // The children's arguments were kept as Lua values (so the moved ones left through the stash).
        var stored = 0
        for worker in node.host.workers {
            stored += await node.onWorker(worker) { $0.argumentStashCounts.stored }
        }
        #expect(stored >= 100, "\(stored) children got kept arguments")
    }
}
