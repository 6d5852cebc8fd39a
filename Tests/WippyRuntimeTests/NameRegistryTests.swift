import Testing
import WippyCore
import WippyRuntime

/// lua-api-core §6.8, core.md §5.8, §S15: process.registry.
@Suite struct NameRegistryTests {
    @Test func registerLookupUnregister() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                eq("register", process.registry.register("svc"), true)
                eq("idempotent", process.registry.register("svc"), true)
                eq("lookup", process.registry.lookup("svc"), process.pid())
                process.send("svc", "by-name", 1)
                eq("send by name", process.inbox():receive():topic(), "by-name")
                eq("unregister", process.registry.unregister("svc"), true)
                eq("unregister again", process.registry.unregister("svc"), false)
                local pid, err = process.registry.lookup("svc")
                eq("lookup after unregister", pid, nil)
                check("NotFound", errors.is(err, errors.NOT_FOUND), err)
                check("message", err and err:message() == "name not registered", err)
                eq("LOCAL", process.registry.LOCAL, 0)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func nameTakenByAnotherProcessIsAlreadyExistsWithHolderInDetails() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:holder", source: """
            return { main = function(parent)
                process.registry.register("taken")
                process.send(parent, "registered")
                process.inbox():receive()
                return "released"
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local holder = process.spawn("test:holder", "app:processes", process.pid())
                local inbox = process.inbox()
                eq("holder ready", inbox:receive():topic(), "registered")
                local ok, err = process.registry.register("taken")
                eq("result", ok, nil)
                check("AlreadyExists", errors.is(err, errors.ALREADY_EXISTS), err)
                eq("retryable", err and err:retryable(), false)
                local d = err and err:details()
                eq("details.pid is the holder", d and d.pid, holder)
                eq("lookup still holder", process.registry.lookup("taken"), holder)
                process.send(holder, "go")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func namesAreReleasedWhenTheOwnerExits() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:short", source: """
            return { main = function(name) process.registry.register(name) return "bye" end }
            """)
        node.install("test:crash", source: """
            return { main = function(name) process.registry.register(name) error("crash") end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local events = process.events()
                local a = process.spawn_monitored("test:short", "app:processes", "short-name")
                local b = process.spawn_monitored("test:crash", "app:processes", "crash-name")
                for i = 1, 2 do events:receive() end
                local p1, e1 = process.registry.lookup("short-name")
                check("released after normal exit", p1 == nil and errors.is(e1, errors.NOT_FOUND), p1)
                local p2 = process.registry.lookup("crash-name")
                eq("released after crash", p2, nil)
                eq("free to take", process.registry.register("short-name"), true)
                local r, e = process.send("crash-name", "t")
                check("send to released name fails NotFound", r == false and errors.is(e, errors.NOT_FOUND), e)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func reRegisteredNameReachesTheNewOwner() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:owner", source: """
            return { main = function(parent, tag)
                process.registry.register("moving")
                process.send(parent, "ready", tag)
                local m = process.inbox():receive()
                process.send(parent, "served by", tag)
                return tag
            end }
            """)
        let result = await node.run(source: """
            return { main = function()
                local inbox, events = process.inbox(), process.events()
                local first = process.spawn_monitored("test:owner", "app:processes", process.pid(), "first")
                inbox:receive()
                process.send("moving", "req")
                eq("first serves", inbox:receive():payload():data(), "first")
                events:receive()
                process.spawn("test:owner", "app:processes", process.pid(), "second")
                inbox:receive()
                process.send("moving", "req")
                eq("second serves", inbox:receive():payload():data(), "second")
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    @Test func registerValidation() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: """
            return { main = function()
                local ok, e = process.registry.register("x", 42)
                check("non-string pid Invalid", ok == nil and errors.is(e, errors.INVALID), e)
                local ok2, e2 = process.registry.register("y", "not a pid")
                check("unparsable pid Invalid", ok2 == nil and errors.is(e2, errors.INVALID), e2)
                local ok3, e3 = process.registry.register("z", nil, "local")
                check("non-number scope Invalid", ok3 == nil and errors.is(e3, errors.INVALID), e3)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }
}
