import Synchronization
import Testing
import WippyCore
import WippyRuntime

/// A process that grows without bound dies alone with `memory limit exceeded` (naming its PID and entry), its
/// monitors and links hear of it as of any failure, and everything else on its worker keeps running.
///
/// Every test runs its processes on one worker (the runaway shares its Lua state with the neighbour that
/// must survive) and under a small limit, so that a runtime without limits fails the test (it grows until the
/// system stops it, or the hang guard) rather than the machine.
@Suite struct MemoryLimitTests {
    static let limit = 16 << 20

    /// Answers every message with `pong` to the PID in its payload.
    static let neighbour = """
        return { main = function()
            local inbox = process.inbox()
            while true do
                local msg = inbox:receive()
                process.send(msg:payload():data(), "pong")
            end
        end }
        """

    /// Spawns `id` linked and monitored (trapping links), waits for its EXIT and (when it failed) its
    /// LINK_DOWN, checks that the neighbour still answers, and returns `report \n pid \n error message`.
    static let watcher = """
        return { main = function(id, neighbour, ...)
            process.set_options({trap_links = true})
            local events = process.events()
            local child = process.spawn_linked_monitored(id, "app:processes", ...)
            local exit, down
            while not exit or (exit.result.error and not down) do
                local ev = events:receive()
                if ev.kind == process.event.EXIT then exit = ev end
                if ev.kind == process.event.LINK_DOWN then down = ev end
            end
            eq("exit from", exit.from, child)
            eq("link down from", down and down.from, child)
            local message = tostring(exit.result.error or exit.result.value)
            eq("link down error", down and tostring(down.result.error), message)
            process.send(neighbour, "ping", process.pid())
            eq("neighbour answers", process.inbox():receive():topic(), "pong")
            return report() .. "\\n" .. child .. "\\n" .. message
        end }
        """

    /// Runs the watcher over `id` on a one-worker node next to a neighbour; returns (report, pid, message).
    func watch(_ node: LuaTestNode, _ id: String, _ arguments: [Payload] = []) async -> (String, String, String) {
        node.install("test:neighbour", source: Self.neighbour)
        node.install("test:watcher", source: Self.watcher)
        let neighbour = node.spawn("test:neighbour")
        let result = await node.run("test:watcher", [.string(id), .string(neighbour.description)] + arguments)
        let parts = result.text.split(separator: "\n", maxSplits: 2).map(String.init)
        guard parts.count == 3 else {
            Issue.record("watcher: \(result.text)")
            return (result.text, "", "")
        }
        return (parts[0], parts[1], parts[2])
    }

    /// After the runaway: a new process starts and works, on the same worker and state.
    func expectNewProcessWorks(_ node: LuaTestNode) async {
        let fresh = await node.run(source: """
            return { main = function()
                local t = {}
                for i = 1, 10000 do t[i] = tostring(i) end
                return "fresh " .. #t
            end }
            """)
        #expect(fresh.text == "fresh 10000")
    }

    @Test func tableFilledInALoopDiesAloneWithItsPIDAndEntry() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        node.install("test:filler", source: """
            return { main = function()
                local t, i = {}, 0
                while true do
                    i = i + 1
                    t[i] = string.rep("x", 100) .. i
                end
            end }
            """)
        let (report, pid, message) = await watch(node, "test:filler")
        #expect(report == "ok")
        #expect(message.hasPrefix("memory limit exceeded"), "\(message)")
        #expect(message.contains(pid) && !pid.isEmpty, "\(message) does not name \(pid)")
        #expect(message.contains("test:filler"), "\(message)")
        #expect(message.contains("limit 16 MiB"), "\(message)")
        await expectNewProcessWorks(node)
    }

    /// The runaway is killed wherever it grows: inside pcall (catching the memory error does not save it), a
    /// sort comparator and an xpcall message handler (which cannot yield), a coroutine.
    @Test(arguments: [
        ("pcall", "while true do pcall(fill) end"),
        ("sort comparator", "pcall(table.sort, {3, 2, 1}, function(a, b) fill() end) while true do end"),
        ("xpcall handler", "xpcall(function() error('boom') end, function(m) fill() end) while true do end"),
        ("coroutine", "coroutine.wrap(fill)() while true do end"),
        ("caught string.rep", "local ok, err = pcall(string.rep, 'x', 64 * 1024 * 1024) fill()"),
    ])
    func runawayIsKilledWhereverItGrows(_ place: String, _ body: String) async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        node.install("test:runaway", source: """
            local function fill()
                local t, i = {}, 0
                while true do
                    i = i + 1
                    t[i] = {i}
                end
            end
            return { main = function() \(body) end }
            """)
        let (report, pid, message) = await watch(node, "test:runaway")
        #expect(report == "ok", "\(place)")
        #expect(message.hasPrefix("memory limit exceeded"), "\(place): \(message)")
        #expect(message.contains(pid) && !pid.isEmpty, "\(place): \(message)")
        await expectNewProcessWorks(node)
    }

    /// One allocation far past the limit (16 times) is refused before it is made (the machine never sees it),
    /// and the process that asked ends, even though it caught the error.
    @Test func singleHugeStringIsAnErrorForThatProcessOnly() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        node.install("test:huge", source: """
            return { main = function()
                local ok, err = pcall(string.rep, "x", 256 * 1024 * 1024)
                return "survived: " .. tostring(ok) .. ", " .. #tostring(err) .. " bytes"
            end }
            """)
        let (report, _, message) = await watch(node, "test:huge")
        #expect(report == "ok")
        #expect(message.hasPrefix("memory limit exceeded"), "\(message)")
        await expectNewProcessWorks(node)
    }

    /// A process asleep (blocked on a topic nobody sends to) while another floods its mailbox: the queued
    /// messages count toward its limit, so it dies like a runaway table, and its mailbox is freed.
    @Test func processFloodedWhileAsleepDies() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        node.install("test:sleeper", source: """
            return { main = function(parent)
                local wake = process.listen("wake")
                process.send(parent, "asleep")
                wake:receive()
                return "woke"
            end }
            """)
        node.install("test:flood-watcher", source: """
            return { main = function(neighbour)
                process.set_options({trap_links = true})
                local events = process.events()
                local sleeper = process.spawn_linked_monitored("test:sleeper", "app:processes", process.pid())
                eq("asleep", process.inbox():receive():topic(), "asleep")
                -- small messages: hundreds of thousands of them reach the limit
                local sent = 0
                while process.send(sleeper, "junk", sent) do sent = sent + 1 end
                local exit, down
                while not exit or (exit.result.error and not down) do
                    local ev = events:receive()
                    if ev.kind == process.event.EXIT then exit = ev end
                    if ev.kind == process.event.LINK_DOWN then down = ev end
                end
                check("many messages", sent > 100000, sent)
                eq("exit from", exit.from, sleeper)
                local message = tostring(exit.result.error)
                eq("link down error", down and tostring(down.result.error), message)
                process.send(neighbour, "ping", process.pid())
                eq("neighbour answers", process.inbox():receive():topic(), "pong")
                return report() .. "\\n" .. sleeper .. "\\n" .. message
            end }
            """)
        node.install("test:neighbour", source: Self.neighbour)
        let neighbour = node.spawn("test:neighbour")
        let result = await node.run("test:flood-watcher", [.string(neighbour.description)])
        let parts = result.text.split(separator: "\n", maxSplits: 2).map(String.init)
        #expect(parts.first == "ok", "\(result.text)")
        if parts.count == 3 {
            #expect(parts[2].hasPrefix("memory limit exceeded"), "\(parts[2])")
            #expect(parts[2].contains(parts[1]) && parts[2].contains("test:sleeper"), "\(parts[2])")
            #expect(parts[2].contains("mailbox"), "\(parts[2])")
        }
        // the dead process's mailbox was dropped: nothing of it is left on the worker
        let report = await memoryReport(node)
        #expect((report?.kills ?? 0) >= 1)
        #expect((report?.processBytes ?? Int.max) < Self.limit / 4, "\(String(describing: report))")
        await expectNewProcessWorks(node)
    }

    /// Messages sent from outside the runtime (another thread) flood a sleeping process the same way.
    @Test func floodFromAnotherThreadKillsTheSleeper() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        let collector = node.collector()
        node.install("test:sleeper", source: """
            return { main = function(parent)
                local wake = process.listen("wake")
                process.send(parent, "asleep")
                wake:receive()
                return "woke"
            end }
            """)
        let sleeper = node.spawn("test:sleeper", [.string(collector.pid.description)])
        guard await node.wait("sleeper asleep", until: { collector.topics.contains("asleep") }) else { return }
        let payload = Payload.string(String(repeating: "z", count: 200))
        var sent = 0
        while !node.hasEnded(sleeper) && sent < 10_000_000 {
            node.send(sleeper, topic: "junk", [payload])
            sent += 1
        }
        let result = await node.result(of: sleeper)
        #expect(result?.error?.message.hasPrefix("memory limit exceeded") == true, "\(result.text)")
        #expect(sent < 10_000_000)
    }

    /// A process that allocates far more than its limit in total but holds little at a time (here 12 MiB live
    /// of a 16 MiB limit while it churns through more than 20 times the limit) is never killed.
    @Test func garbageChurnUnderTheLimitIsNotKilled() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local keep = {}
                for i = 1, 120 do keep[i] = string.rep(string.char(65 + i % 26), 100000) .. i end
                local total = 0
                for round = 1, 3000 do
                    local t = {}
                    for j = 1, 100 do t[j] = string.rep("z", 1000) .. j end
                    total = total + #t
                end
                return "churned " .. total .. " kept " .. #keep
            end }
            """)
        #expect(result.text == "churned 300000 kept 120")
        let report = await memoryReport(node)
        // collections are paced by the allocation (one per limit/4 at most), not one per allocation
        #expect((report?.workers.first?.collections ?? Int.max) < 200, "\(String(describing: report))")
        #expect(report?.kills == 0)
    }

    /// A limit given to one process (as a spawner's option would) overrides the host's.
    @Test func perProcessLimitOverridesTheHosts() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: 256 << 20)
        defer { node.shutdown() }
        let program = node.install("test:small", source: """
            return { main = function()
                local t = {}
                for i = 1, 1e9 do t[i] = {i} end
            end }
            """)
        let results = node.results
        let pid = node.node.spawn(
            on: node.host, starter: LuaProcessStarter(program: program, arguments: [], memoryLimit: 4 << 20),
            options: SpawnOptions(onExit: { pid, result in results.map.withLock { $0[pid.uniq] = result } }))
        let result = await node.result(of: pid)
        #expect(result?.error?.message.contains("limit 4 MiB") == true, "\(result.text)")
    }

    /// `process.with_options{memory_limit = ...}` gives the children of that spawner their own limit: below
    /// the host's (the child dies at 4 MiB), or none at all (0: the child holds more than the host allows);
    /// a value that is not a size fails at `with_options`, naming the option.
    @Test func spawnOptionSetsTheChildsLimit() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        node.install("test:grower", source: """
            return { main = function(mb)
                local t = {}
                for i = 1, mb do t[i] = string.rep(string.char(64 + i % 26), 1024 * 1024 - 64) .. i end
                return "held " .. #t
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local events = process.events()
                local function outcome(options, mb)
                    local child = process.with_options(options):spawn_monitored("test:grower", "app:processes", mb)
                    while true do
                        local ev = events:receive()
                        if ev.kind == process.event.EXIT and ev.from == child then
                            return tostring(ev.result.error or ev.result.value)
                        end
                    end
                end
                local ok, err = pcall(process.with_options, {memory_limit = "lots"})
                return table.concat({
                    outcome({memory_limit = "4M"}, 64),
                    outcome({memory_limit = 0}, 24),
                    outcome({memory_limit = 8 * 1024 * 1024}, 2),
                    tostring(ok) .. " " .. tostring(err),
                }, "\\n")
            end }
            """)
        let lines = result.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(result.text)")
        guard lines.count == 4 else { return }
        #expect(lines[0].contains("memory limit exceeded") && lines[0].contains("limit 4 MiB"), "\(lines[0])")
        #expect(lines[1] == "held 24")
        #expect(lines[2] == "held 2")
        #expect(lines[3].contains("false") && lines[3].contains("options.memory_limit must be a size"), "\(lines[3])")
    }

    /// The figures: a process holding a 4 MiB string is charged for it (and not for its neighbours), and the
    /// host reports its limit.
    @Test func memoryReportShowsWhatAProcessHolds() async {
        let node = await LuaTestNode.make(workers: 1, processMemoryLimit: Self.limit)
        defer { node.shutdown() }
        let collector = node.collector()
        node.install("test:holder", source: """
            return { main = function(parent)
                local big = string.rep("h", 4 * 1024 * 1024)
                process.send(parent, "holding")
                process.inbox():receive()
                return #big
            end }
            """)
        let holder = node.spawn("test:holder", [.string(collector.pid.description)])
        guard await node.wait("holder ready", until: { collector.topics.contains("holding") }) else { return }
        let report = await memoryReport(node, includingProcesses: true)
        #expect(report?.processLimit == Self.limit)
        let usage = report?.workers.first?.processes.first { $0.pid == holder }
        #expect(usage?.entry.description.hasSuffix("holder") == true)
        // A large string.rep is built in a buffer, then copied into the string: until the next collection the
        // buffer (garbage by then) is charged too.
        #expect((usage?.bytes ?? 0) >= 4 << 20 && (usage?.bytes ?? Int.max) < 9 << 20, "\(String(describing: usage))")
        #expect(usage?.limit == Self.limit)
        #expect((report?.luaBytes ?? 0) >= (report?.processBytes ?? Int.max))
        node.send(holder, topic: "stop")
        #expect(await node.result(of: holder).text == "value: 4194304")
    }

    func memoryReport(_ node: LuaTestNode, includingProcesses: Bool = false) async -> HostMemoryReport? {
        await withCheckedContinuation { continuation in
            node.runtime.memoryReport(host: LuaTestNode.hostID, includingProcesses: includingProcesses) { report in
                continuation.resume(returning: report)
            }
        }
    }
}

@Suite struct MemoryFigureTextTests {
    @Test func sizesReadAsPeopleWriteThem() {
        #expect(ProcessMemoryUsage.describe(bytes: 64 << 20) == "64 MiB")
        #expect(ProcessMemoryUsage.describe(bytes: 3 << 29) == "1.5 GiB")
        #expect(ProcessMemoryUsage.describe(bytes: 512) == "512 bytes")
    }
}
