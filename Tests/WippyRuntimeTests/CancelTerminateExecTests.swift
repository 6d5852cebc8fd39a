import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §6.3 (exec), §6.4 (cancel, terminate); core.md §5.9.
@Suite struct CancelTerminateExecTests {
    func node() async -> LuaTestNode {
        let node = await LuaTestNode.make(workers: 2)
        node.install("test:add", source: "return { main = function(a, b) return a + b end }")
        node.install("test:fail", source: "return { main = function() error({code = 1}) end }")
        node.install("test:typed", source: """
            return { main = function() return nil, errors.new({message = "nope", kind = errors.PERMISSION_DENIED}) end }
            """)
        node.install("test:nothing", source: "return { main = function() end }")
        node.install("test:block", source: "return { main = function() process.inbox():receive() return 'woke' end }")
        return node
    }

    @Test func cancelDeliversACancelEventWithReason() async {
        let node = await node()
        defer { node.shutdown() }
        node.install("test:cancellable", source: """
            return { main = function()
                local ev = process.events():receive()
                return ev.kind .. "|" .. tostring(ev.reason) .. "|" .. tostring(ev.from) .. "|" .. type(ev.at)
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local child = process.spawn_monitored("test:cancellable", "app:processes")
                eq("cancel", process.cancel(child, "because"), true)
                local ev = process.events():receive()
                eq("child saw", ev.result.value, "pid.cancel|because|" .. process.pid() .. "|number")
                eq("CANCEL constant", process.event.CANCEL, "pid.cancel")
                local r, e = process.cancel()
                check("missing destination Invalid", r == nil and errors.is(e, errors.INVALID), e)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func cancelIsCooperative() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local child = process.spawn_monitored("test:block", "app:processes")
                process.cancel(child, "please")
                process.send(process.pid(), "sync")
                process.inbox():receive()
                process.send(child, "go")
                local ev = process.events():receive()
                eq("child ignored cancel and finished normally", ev.result.value, "woke")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func terminateEndsAProcessAndMonitorsSeeIt() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local child = process.spawn_monitored("test:block", "app:processes")
                eq("terminate", process.terminate(child), true)
                local ev = process.events():receive()
                eq("from", ev.from, child)
                local e = ev.result.error
                eq("message", e and e:message(), "process terminated")
                local r, e2 = process.send(child, "t")
                check("dead process unreachable", r == false and errors.is(e2, errors.NOT_FOUND), r)
                local r3, e3 = process.terminate(child)
                check("terminate dead NotFound", r3 == nil and errors.is(e3, errors.NOT_FOUND), e3)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func terminateFromOutsideTheProcess() async {
        let node = await node()
        defer { node.shutdown() }
        let pid = node.spawn("test:block")
        node.node.terminate(pid)
        #expect(await node.result(of: pid)?.error?.message == "process terminated")
    }

    @Test func execReturnsTheChildsResultOrError() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                eq("value", process.exec("test:add", "app:processes", 20, 22), 42)
                local v, e = process.exec("test:fail", "app:processes")
                eq("failure value", v, nil)
                check("failure error", e ~= nil, e)
                local v2, e2 = process.exec("test:typed", "app:processes")
                check("kind kept", v2 == nil and errors.is(e2, errors.PERMISSION_DENIED), e2)
                local v3, e3 = process.exec("test:nothing", "app:processes")
                check("nothing returns nil, nil", v3 == nil and e3 == nil, e3)
                local v4, e4 = process.exec("test:add")
                check("missing host Invalid", v4 == nil and errors.is(e4, errors.INVALID), e4)
                local v5, e5 = process.exec("test:missing", "app:processes")
                check("unknown entry fails", v5 == nil and e5 ~= nil, v5)
                local ok, v6 = pcall(process.exec, "test:add", "app:processes", 1, 2)
                eq("exec inside pcall", ok and v6, 3)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func spawnErrors() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local p, e = process.spawn("test:add")
                check("missing host Invalid", p == nil and errors.is(e, errors.INVALID), e)
                local p2, e2 = process.spawn("test:missing", "app:processes")
                check("unknown entry", p2 == nil and e2 ~= nil, p2)
                local p3, e3 = process.spawn("test:add", "app:nohost")
                check("unknown host", p3 == nil and e3 ~= nil, p3)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// terminate is a forceful stop (§6.4, core.md §5.9): a process terminating itself does not go on running.
    @Test func selfTerminateStopsTheProcess() async {
        let node = await node()
        defer { node.shutdown() }
        let collector = node.collector()
        let result = await node.run(source: """
            return { main = function(observer)
                process.terminate(process.pid())
                process.send(observer, "after terminate")
                return "continued"
            end }
            """, [.string(collector.pid.description)])
        #expect(result?.error?.message == "process terminated", "\(result.text)")
        #expect(!collector.topics.contains("after terminate"))
    }

    @Test func processIdIsTheEntryID() async {
        let node = await node()
        defer { node.shutdown() }
        node.install("ns.sub:worker", source: "return { main = function() return process.id() end }")
        #expect(await node.run("ns.sub:worker").text == "ns.sub:worker")
    }

    /// §6.3: exec validates its arguments with Invalid errors and the documented messages.
    @Test func execValidation() async {
        let node = await node()
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local function expect(label, message, ...)
                    local v, e = process.exec(...)
                    check(label .. " value", v == nil, v)
                    check(label .. " kind", errors.is(e, errors.INVALID), e)
                    eq(label .. " message", e and e:message(), message)
                end
                expect("no arguments", "exec requires id and host arguments")
                expect("empty id", "process ID required", "", "app:processes")
                expect("no namespace", "invalid process ID format (namespace:name required)", "add", "app:processes")
                expect("empty host", "host ID required", "test:add", "")
                local r, e = process.send("nobody-by-that-name", "t")
                eq("send unresolvable message", e and e:message(), "could not resolve 'nobody-by-that-name' as PID or registered name")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }
}
