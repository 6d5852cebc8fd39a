import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §6.3, §6.4, §6.6, §S5; core.md §5.8: monitors and links.
@Suite struct MonitorLinkTests {
    func node() async -> LuaTestNode {
        let node = await LuaTestNode.make(workers: 2)
        node.install("test:value", source: "return { main = function(v) return v end }")
        node.install("test:fail", source: "return { main = function(msg) error(msg, 0) end }")
        node.install("test:fail-object", source: """
            return { main = function() return nil, errors.new({message = "typed", kind = errors.CONFLICT, retryable = true, details = {n = 1}}) end }
            """)
        node.install("test:wait", source: """
            return { main = function()
                local m = process.inbox():receive()
                if m:topic() == "fail" then error("asked to fail", 0) end
                return m:topic()
            end }
            """)
        return node
    }

    @Test func spawnMonitoredDeliversExitWithValue() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local child = process.spawn_monitored("test:value", "app:processes", {answer = 42})
                local ev = process.events():receive()
                eq("kind", ev.kind, process.event.EXIT)
                eq("kind string", ev.kind, "pid.exit")
                eq("from", ev.from, child)
                eq("value", ev.result.value.answer, 42)
                eq("no error", ev.result.error, nil)
                eq("at is a number", type(ev.at), "number")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func spawnMonitoredDeliversExitWithError() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local events = process.events()
                local a = process.spawn_monitored("test:fail", "app:processes", "kaput")
                local ev = events:receive()
                eq("from", ev.from, a)
                check("error object", ev.result.error ~= nil and tostring(ev.result.error) == "kaput", ev.result.error)
                eq("no value", ev.result.value, nil)
                local b = process.spawn_monitored("test:fail-object", "app:processes")
                local ev2 = events:receive()
                local e = ev2.result.error
                check("kind kept", errors.is(e, errors.CONFLICT), e)
                eq("retryable kept", e and e:retryable(), true)
                eq("details kept", e and e:details() and e:details().n, 1)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func linkedChildFailureKillsParentWithoutTrapLinks() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                process.spawn_linked("test:fail", "app:processes", "child died")
                channel.new():receive()
                return "survived"
            end }
            """)
        #expect(result?.error?.message == "linked process failed", "\(result.text)")
    }

    @Test func linkedChildFailureIsAnEventWithTrapLinks() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local ok = process.set_options({trap_links = true})
                eq("set_options", ok, true)
                eq("get_options", process.get_options().trap_links, true)
                local child = process.spawn_linked("test:fail", "app:processes", "child died")
                local ev = process.events():receive()
                eq("kind", ev.kind, process.event.LINK_DOWN)
                eq("kind string", ev.kind, "pid.link.down")
                eq("from", ev.from, child)
                eq("error", ev.result and tostring(ev.result.error), "child died")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func normalExitOfLinkedChildSendsNothing() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local child = process.spawn_linked_monitored("test:value", "app:processes", 1)
                local events = process.events()
                local ev = events:receive()
                eq("exit", ev.kind, "pid.exit")
                -- a LINK_DOWN would have been queued right after the EXIT; give it a round trip to arrive
                process.send(process.pid(), "sync")
                process.inbox():receive()
                return "alive"
            end }
            """)
        #expect(result.text == "alive")
        let trapped = await node.run(source: """
            return { main = function()
                process.set_options({trap_links = true})
                process.spawn_linked_monitored("test:value", "app:processes", 1)
                local events = process.events()
                local ev = events:receive()
                process.send(process.pid(), "sync")
                process.inbox():receive()
                local r = channel.select({events:case_receive(), default = true})
                eq("first event is exit", ev.kind, "pid.exit")
                eq("no link down", r.default, true)
                return report()
            end }
            """)
        #expect(trapped.text == "ok")
    }

    /// Links are bidirectional: a failing parent takes its linked child down.
    @Test func parentFailureKillsLinkedChild() async {
        let node = await node()
        defer { node.shutdown() }
        node.install("test:middle", source: """
            return { main = function(top)
                local child = process.spawn_linked("test:wait", "app:processes")
                process.send(top, "child", child)
                process.inbox():receive()
                error("middle fails", 0)
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local middle = process.spawn("test:middle", "app:processes", process.pid())
                local inbox, events = process.inbox(), process.events()
                local child = inbox:receive():payload():data()
                eq("monitor child", process.monitor(child), true)
                process.send(middle, "die")
                local ev = events:receive()
                eq("child exit", ev.from, child)
                eq("child killed by link", ev.result.error and tostring(ev.result.error), "linked process failed")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func monitorAndUnmonitor() async {
        let node = await node()
        defer { node.shutdown() }
        node.install("test:bye", source: """
            return { main = function()
                local m = process.inbox():receive()
                process.send(m:from(), "bye")
                return "done"
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox, events = process.inbox(), process.events()
                local c1 = process.spawn("test:bye", "app:processes")
                local c2 = process.spawn("test:wait", "app:processes")
                eq("monitor c1", process.monitor(c1), true)
                eq("monitor c2", process.monitor(c2), true)
                local again, e = process.monitor(c2)
                check("monitoring twice AlreadyExists", again == nil and errors.is(e, errors.ALREADY_EXISTS), e)
                eq("unmonitor c1", process.unmonitor(c1), true)
                process.send(c1, "go")
                eq("c1 says bye", inbox:receive():topic(), "bye")
                process.send(c2, "finish")
                local ev = events:receive()
                eq("first exit event is c2", ev.from, c2)
                eq("c2 value", ev.result.value, "finish")
                local r = channel.select({events:case_receive(), default = true})
                eq("nothing else", r.default, true)
                local gone, e2 = process.monitor(c2)
                check("monitor dead pid NotFound", gone == nil and errors.is(e2, errors.NOT_FOUND), e2)
                local r3, e3 = process.monitor()
                check("monitor without destination Invalid", r3 == nil and errors.is(e3, errors.INVALID), e3)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func linkAndUnlink() async {
        let node = await node()
        defer { node.shutdown() }
        let linked = await node.run(source: """
            return { main = function()
                process.set_options({trap_links = true})
                local c = process.spawn("test:wait", "app:processes")
                eq("link", process.link(c), true)
                process.send(c, "fail")
                local ev = process.events():receive()
                eq("link down", ev.kind, "pid.link.down")
                eq("from", ev.from, c)
                return report()
            end }
            """)
        #expect(linked.text == "ok")
        let unlinked = await node.run(source: """
            return { main = function()
                local c = process.spawn("test:wait", "app:processes")
                process.link(c)
                eq("unlink", process.unlink(c), true)
                process.monitor(c)
                process.send(c, "fail")
                local ev = process.events():receive()
                eq("exit", ev.kind, "pid.exit")
                process.send(process.pid(), "sync")
                process.inbox():receive()
                return report()
            end }
            """)
        #expect(unlinked.text == "ok", "an unlinked failing process must not take the caller down")
    }

    @Test func setOptionsValidation() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local ok, e = process.set_options("x")
                check("non-table", ok == false and errors.is(e, errors.INVALID), e)
                local ok2, e2 = process.set_options({trap_links = "yes"})
                check("non-boolean", ok2 == false and errors.is(e2, errors.INVALID), e2)
                local ok3, e3 = process.set_options({bogus = true})
                check("unsupported", ok3 == false and tostring(e3):find("bogus", 1, true), e3)
                eq("default trap_links", process.get_options().trap_links, false)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// A LINK_DOWN that reaches a child before its first run, followed by another message, must still kill it
    /// (the failure must not depend on the LINK_DOWN being the newest mailbox item).
    @Test func linkDownQueuedBeforeFirstRunKillsTheChildEvenIfAMessageFollows() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let collector = node.collector()
        let sink = Payload.string(collector.pid.description)
        // The child never ends by itself: it answers every message. Only the LINK_DOWN can end it.
        node.install("test:child", source: """
            return { main = function()
                local inbox = process.inbox()
                while true do
                    local m = inbox:receive()
                    process.send(m:from(), "child survived", m:topic())
                end
            end }
            """)
        node.install("test:parent", source: """
            return { main = function(observer)
                local child = process.spawn_linked("test:child", "app:processes", observer)
                process.registry.register("linked-child", child)
                error("parent fails", 0)
            end }
            """)
        // Finds the child, watches it, sends it a message and reports which comes first: the child's end or
        // its answer.
        node.install("test:poker", source: """
            return { main = function()
                local child
                for i = 1, 1000000 do
                    child = process.registry.lookup("linked-child")
                    if child then break end
                    coroutine.yield()
                end
                if not child then return "the child was never registered" end
                local watching = process.monitor(child)
                process.send(child, "late")
                if not watching then return "child ended" end
                local events, inbox = process.events(), process.inbox()
                local r = channel.select{events:case_receive(), inbox:case_receive()}
                if r.channel == events then return "child ended: " .. tostring(r.value.result.error) end
                return "child survived"
            end }
            """)
        let poker = node.spawn("test:poker", [sink])
        let parent = node.spawn("test:parent", [sink])
        #expect(await node.result(of: parent)?.error?.message == "parent fails")
        let outcome = await node.result(of: poker).text
        #expect(outcome.hasPrefix("child ended"), "the linked child ignored its parent's LINK_DOWN: \(outcome)")
    }

    @Test func everyMonitoredChildsExitArrives() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function(n)
                local events, pids = process.events(), {}
                for i = 1, n do pids[process.spawn_monitored("test:value", "app:processes", i)] = i end
                local seen, sum = 0, 0
                for i = 1, n do
                    local ev = events:receive()
                    if pids[ev.from] == ev.result.value then seen = seen + 1 end
                    sum = sum + ev.result.value
                end
                eq("matched", seen, n)
                eq("sum", sum, n * (n + 1) // 2)
                return report()
            end }
            """, [.int(2000)])
        #expect(result.text == "ok")
    }

    /// Monitoring a process that lives on another worker (and therefore in another Lua state).
    @Test func monitorAcrossWorkers() async {
        let node = await node()
        defer { node.shutdown() }
        let target = node.spawn("test:wait")
        node.install("test:watcher", source: """
            return { main = function(target)
                eq("monitor", process.monitor(target), true)
                process.send(target, "bye")
                local ev = process.events():receive()
                eq("from", ev.from, target)
                eq("value", ev.result.value, "bye")
                return report()
            end }
            """)
        let w = node.spawn("test:watcher", [.string(target.description)])
        #expect(await node.result(of: w).text == "ok")
    }
}
