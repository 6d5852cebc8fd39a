import Synchronization
import Testing
import WippyCore
import WippyRuntime

/// `process.upgrade` swaps a running process to new code keeping its PID, mailbox and links; `upgradable`
/// processes are told when their code changes (`pid.outdated`).
@Suite struct ProcessUpgradeTests {
    static let version1 = """
        return { main = function(parent)
            local inbox = process.inbox()
            local count = 0
            while true do
                local msg = inbox:receive()
                if msg:topic() == "upgrade" then
                    process.send(parent, "upgrading", count)
                    return process.upgrade(nil, parent, count)
                end
                count = count + 1
                process.send(parent, "counted", count)
            end
        end }
        """

    static let version2 = """
        return { main = function(parent, count)
            local inbox = process.inbox()
            process.send(parent, "v2", count)
            while true do
                local msg = inbox:receive()
                if msg:topic() == "stop" then return "v2 done after " .. count end
                count = count + 10
                process.send(parent, "v2 count", count)
            end
        end }
        """

    @Test func upgradeKeepsPIDMailboxAndMonitors() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:counter", source: Self.version1)
        let collector = node.collector()
        let pid = node.spawn("test:counter", [.string(collector.pid.description)])
        #expect(throws: Never.self) { try node.node.monitor(watcher: collector.pid, target: pid) }
        node.send(pid, topic: "tick")
        node.send(pid, topic: "tick")
        guard await node.wait("two ticks counted", until: { collector.topics.filter { $0 == "counted" }.count == 2 }) else { return }
        // new code for the same entry, then the upgrade request with messages queued behind it
        node.install("test:counter", source: Self.version2)
        node.send(pid, topic: "upgrade")
        node.send(pid, topic: "tick")
        guard await node.wait("v2 counted the queued tick", until: { collector.topics.contains("v2 count") }) else { return }
        #expect(node.node.isAlive(pid))
        let counts = collector.messages.filter { $0.topic == "upgrading" || $0.topic == "v2" || $0.topic == "v2 count" }
        #expect(counts.map(\.topic) == ["upgrading", "v2", "v2 count"])
        #expect(counts.map { $0.payloads.first } == [.int(2), .int(2), .int(12)])
        #expect(counts.allSatisfy { $0.from == pid })  // same PID before and after
        node.send(pid, topic: "stop")
        let result = await node.result(of: pid)
        #expect(result?.value == .string("v2 done after 12"))
        guard await node.wait("EXIT after the upgraded instance ends", until: {
            collector.items.withLock { $0.contains { if case .event(.exit(let from, _)) = $0 { from == pid } else { false } } }
        }) else { return }
    }

    @Test func upgradeToAnotherEntryAndRefusals() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:target", source: """
            return { main = function(a, b) return "target got " .. a .. " and " .. b end }
            """)
        node.install("test:lib", source: "return {}", kind: .library)
        let result = await node.run(source: """
            return { main = function()
                local r1, e1 = process.upgrade("test:missing")
                check("missing entry", r1 == nil and e1:kind() == "NotFound", e1)
                local r2, e2 = process.upgrade("test:lib")
                check("not a process", r2 == nil and e2:kind() == "Invalid", e2)
                local ok = pcall(process.upgrade, 42)
                check("bad argument raises", not ok)
                local opts = process.get_options()
                eq("not upgradable by default", opts.upgradable, false)
                if report() ~= "ok" then return report() end
                return process.upgrade("test:target", "x", 7)
            end }
            """)
        #expect(result?.value == .string("target got x and 7"))
    }

    @Test func upgradableProcessesAreToldWhenTheirCodeChanges() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:watcher", source: """
            return { main = function(parent)
                local ok = process.set_options({ upgradable = true })
                local events = process.events()
                process.send(parent, "ready", tostring(ok) .. "/" .. tostring(process.get_options().upgradable))
                local ev = events:receive()
                process.send(parent, "event", ev.kind .. " " .. table.concat(ev.sources, ","))
                return process.upgrade(nil, parent)
            end }
            """)
        let collector = node.collector()
        let pid = node.spawn("test:watcher", [.string(collector.pid.description)])
        guard await node.wait("ready", until: { collector.topics.contains("ready") }) else { return }
        #expect(collector.messages.first?.payloads.first == .string("true/true"))
        #expect(node.runtime.isUpgradable(pid))
        // a change to another entry is not its business
        node.runtime.notifyOutdated([EntryID(parsing: "test:other")])
        node.install("test:watcher", source: """
            return { main = function(parent) process.send(parent, "new code") return "upgraded" end }
            """)
        node.runtime.notifyOutdated([EntryID(parsing: "test:watcher"), EntryID(parsing: "test:somelib")])
        let result = await node.result(of: pid)
        #expect(result?.value == .string("upgraded"))
        // the new instance's message comes last from this PID: everything sent before it has arrived with it
        guard await node.wait("the upgraded instance's message", until: { collector.topics.contains("new code") }) else { return }
        let events = collector.messages.filter { $0.topic == "event" }
        #expect(events.map { $0.payloads.first } == [.string("pid.outdated test:somelib,test:watcher")])
        #expect(collector.topics.contains("new code"))
        #expect(!node.runtime.isUpgradable(pid))  // the new instance did not opt in
    }
}
