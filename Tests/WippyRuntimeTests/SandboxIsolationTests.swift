import Testing
import WippyCore
import WippyRuntime

/// core.md §8.1, lua-api-core §1.1/§1.2: every process has its own globals and module-level locals, even when
/// several processes share one worker's Lua state.
@Suite struct SandboxIsolationTests {
    static let probe = """
        local counter = 0
        return { main = function(tag, collector)
            local seen = tostring(x) .. "," .. tostring(y) .. "," .. tostring(rawget(_G, "print")) .. ","
                .. tostring((pcall(print, "probe"))) .. "," .. tostring(string.upper("a"))
            counter = counter + 1
            x = tag
            _G.y = tag
            print = function() error("hijacked print of " .. tag) end
            string = {upper = function() return "hijacked" end}
            process.send(collector, "ready", tag, seen, counter)
            process.inbox():receive()
            return tostring(x) .. "|" .. tostring(y) .. "|" .. tostring(counter) .. "|" .. string.upper("a")
        end }
        """

    /// `workers == 1` forces the processes into one Lua state; with 2 they are spread round-robin.
    @Test(arguments: [1, 2])
    func globalsAndModuleLocalsArePerProcess(workers: Int) async {
        let node = await LuaTestNode.make(workers: workers)
        defer { node.shutdown() }
        node.install("test:probe", source: Self.probe, helpers: false)
        node.install("test:other", source: Self.probe, helpers: false)
        let collector = node.collector()
        let sink = Payload.string(collector.pid.description)

        var pids: [PID] = []
        for (index, (entry, tag)) in [("test:probe", "A"), ("test:probe", "B"), ("test:other", "C"), ("test:probe", "D")].enumerated() {
            pids.append(node.spawn(entry, [.string(tag), sink]))
            // wait until this process has set its globals before starting the next one
            guard await node.wait("ready \(tag)", until: { collector.messages.count == index + 1 }) else { return }
        }
        for message in collector.messages {
            let tag = message.payloads.first?.stringValue ?? "?"
            #expect(message.payloads.dropFirst().first == .string("nil,nil,nil,true,A"), "\(tag) saw another process's globals")
            #expect(message.payloads.last == .int(1), "\(tag): module-level local shared between processes")
        }
        for pid in pids { node.send(pid, topic: "go") }
        for (pid, tag) in zip(pids, ["A", "B", "C", "D"]) {
            let result = await node.result(of: pid)
            #expect(result.text == "\(tag)|\(tag)|1|hijacked")
        }
    }

    /// A `__gc` finalizer is user code of the process that created the object. It must never run as another
    /// process (with its PID and mailbox) just because that process happened to trigger the collection.
    @Test func finalizerOfOneProcessDoesNotRunAsAnother() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let collector = node.collector()
        // The finalizer re-arms itself, so it keeps running in every GC cycle after the planter has exited.
        // It tries the direct route (setmetatable with __gc) and, should that be refused, a __gc added to the
        // metatable afterwards and then re-applied by table.freeze.
        node.install("test:planter", source: """
            return { main = function(observer)
                local planter = process.pid()
                local mt, armed = {}, 0
                local function arm()
                    if armed >= 400 then return end
                    armed = armed + 1
                    if pcall(setmetatable, {}, mt) then return end
                    local plain = {}
                    local t = setmetatable({}, plain)
                    plain.__gc = mt.__gc
                    pcall(table.freeze, t)
                end
                mt.__gc = function()
                    local ok, pid = pcall(process.pid)
                    if ok and pid ~= nil and pid ~= planter then
                        pcall(process.send, observer, "gc", pid)
                    end
                    arm()
                end
                for i = 1, 20 do arm() end
                return "planted"
            end }
            """)
        node.install("test:bystander", source: """
            return { main = function(observer)
                local keep = {}
                for round = 1, 150 do
                    local t = {}
                    for i = 1, 20000 do t[i] = {i} end
                    keep[round % 2] = t
                    if round % 10 == 0 then coroutine.yield() end
                end
                process.send(observer, "bystander done")
                return process.pid()
            end }
            """)
        let observer = Payload.string(collector.pid.description)
        #expect(await node.run("test:planter", [observer]).text == "planted")
        let bystander = await node.run("test:bystander", [observer])
        let bystanderPID = bystander?.value.stringValue ?? "?"
        // Everything the bystander's process sent (finalizers running inside it included) arrives before its
        // last message: one sender's messages arrive in order.
        guard await node.wait("the bystander's last message", until: { collector.topics.contains("bystander done") }) else { return }
        let impersonated = collector.messages.filter { $0.topic == "gc" }
        #expect(
            impersonated.count == 0,
            "\(impersonated.count) finalizers of the dead planter ran inside another process (bystander \(bystanderPID)); senders: \(Set(impersonated.compactMap { $0.from?.description }))")
    }

    /// Imported libraries (`imports:`) are instantiated per process: their module-level state is not shared.
    @Test(arguments: [1, 2])
    func importedLibraryStateIsPerProcess(workers: Int) async {
        let node = await LuaTestNode.make(workers: workers)
        defer { node.shutdown() }
        node.install("test:counter", source: """
            local n = 0
            lib_global = "set by library"
            return { inc = function() n = n + 1 return n end, peek = function() return tostring(caller_global) end }
            """, kind: .library)
        node.install("test:user", source: """
            return { main = function(times, parent)
                caller_global = "set by caller"
                local v
                for i = 1, times do v = counter.inc() end
                local seen = counter.peek() .. "|" .. tostring(lib_global)
                if parent then process.send(parent, "done") process.inbox():receive() end
                return tostring(v) .. "|" .. seen
            end }
            """, imports: [("counter", "test:counter")])
        let collector = node.collector()
        let first = node.spawn("test:user", [.int(3), .string(collector.pid.description)])
        guard await node.wait("first done", until: { collector.messages.count == 1 }) else { return }
        let second = await node.run("test:user", [.int(1)])
        #expect(second.text == "1|nil|nil", "library state or globals leaked between processes / between library and importer")
        node.send(first, topic: "go")
        #expect(await node.result(of: first).text == "3|nil|nil")
    }

    @Test func importErrorsFailTheProcess() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:a", source: "return {}", kind: .library, imports: [("b", "test:b")])
        node.install("test:b", source: "return {}", kind: .library, imports: [("a", "test:a")])
        node.install("test:cyclic", source: "return { main = function() return 'ran' end }", imports: [("a", "test:a")])
        node.install("test:dangling", source: "return { main = function() return 'ran' end }", imports: [("x", "test:missing")])
        let cyclic = await node.run("test:cyclic")
        #expect(cyclic?.error?.message.contains("cycle") == true, "\(cyclic.text)")
        let dangling = await node.run("test:dangling")
        #expect(dangling?.error?.kind == .notFound, "\(dangling.text)")
    }
}
