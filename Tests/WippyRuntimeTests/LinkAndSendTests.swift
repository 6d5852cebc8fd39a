import Testing
import WippyCore
import WippyRuntime

/// Issue 7, item 9: sending to a process that is gone, and links that are undone or made too late.
@Suite struct LinkAndSendTests {
    /// `process.send` to a PID that has exited returns `false` and a `NotFound` error saying "not found".
    @Test func sendToADeadProcessReturnsFalseAndNotFound() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:quick", source: "return { main = function() return 1 end }")
        let result = await node.run(source: """
            return { main = function()
                local pid = process.spawn_monitored("test:quick", "app:processes")
                local exit = process.events():receive()
                eq("exited", exit.from, pid)
                local ok, err = process.send(pid, "hello", 1)
                eq("result", ok, false)
                check("NotFound", errors.is(err, errors.NOT_FOUND), err)
                check("says not found", tostring(err):find("not found", 1, true), err)
                local ok2, err2 = process.send("nobody-has-this-name", "hello")
                eq("unknown name result", ok2, false)
                check("unknown name NotFound", errors.is(err2, errors.NOT_FOUND), err2)
                return report()
            end }
            """)
        #expect(result.text == "ok")
    }

    /// A LINK_DOWN that was already on its way when the process unlinked has no effect: it neither kills the
    /// process nor (with trap_links) shows up on its events channel.
    @Test func unlinkStopsALinkDownAlreadyOnItsWay() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:partner", source: "return { main = function() process.inbox():receive() return 0 end }")
        node.install("test:unlinker", source: """
            return { main = function(trap, observer)
                if trap then process.set_options({trap_links = true}) end
                local partner = process.spawn("test:partner", "app:processes")
                assert(process.link(partner))
                assert(process.unlink(partner))
                process.send(observer, "unlinked", partner)
                local inbox = process.inbox()
                local ping = inbox:receive()
                local r = channel.select({process.events():case_receive(), default = true})
                process.send(partner, "stop")
                return "alive " .. ping:topic() .. (r.default and " no event" or (" event " .. tostring(r.value and r.value.kind)))
            end }
            """)
        for trap in [false, true] {
            let observer = node.collector()
            let pid = node.spawn("test:unlinker", [.bool(trap), .string(observer.pid.description)])
            guard await node.wait("unlinked", until: { !observer.messages.isEmpty }) else { return }
            guard let partnerText = observer.messages.first?.payloads.first?.stringValue, let partner = PID(parsing: partnerText)
            else {
                Issue.record("no partner PID")
                return
            }
            // The LINK_DOWN the partner's failure would have sent just before the unlink, arriving after it.
            node.node.send(to: pid, .event(.linkDown(from: partner, result: .failure(WippyError("boom")))))
            node.send(pid, topic: "ping")
            #expect(await node.result(of: pid).text == "alive ping no event", "trap_links \(trap)")
        }
    }

    /// A link made to a process that is failing on another worker at that very moment is reported one way or
    /// the other: `link` fails (NotFound), or it succeeds and the LINK_DOWN comes. Never neither.
    @Test func aLinkRacingAnExitIsAlwaysReported() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:failing", source: """
            return { main = function(spin)
                local x = 0
                for i = 1, spin do x = x + i end
                error("boom " .. x)
            end }
            """)
        node.install("test:linker", source: """
            return { main = function(pids)
                process.set_options({trap_links = true})
                local events = process.events()
                local linked, refused, expected = 0, 0, {}
                for _, pid in ipairs(pids) do
                    local ok, err = process.link(pid)
                    if ok then
                        linked = linked + 1
                        expected[pid] = true
                    elseif errors.is(err, errors.NOT_FOUND) then
                        refused = refused + 1
                    else
                        return "unexpected link error: " .. tostring(err)
                    end
                end
                local waiting = linked
                while waiting > 0 do
                    local ev = events:receive()
                    if ev.kind == process.event.LINK_DOWN and expected[ev.from] then
                        expected[ev.from] = nil
                        waiting = waiting - 1
                    end
                end
                return "reported " .. (linked + refused)
            end }
            """)
        let rounds = 10
        let perRound = 100
        for round in 0..<rounds {
            // Children alternate over both workers (spawned from outside, round-robin); the linker runs on one.
            var children: [Payload] = []
            for index in 0..<perRound { children.append(.string(node.spawn("test:failing", [.int(Int64((index * 37 + round * 11) % 400))]).description)) }
            let result = await node.run("test:linker", [.array(children)])
            #expect(result.text == "reported \(perRound)", "round \(round)")
            if result?.text != "reported \(perRound)" { return }
        }
    }
}
