import Testing
import WippyCore
import WippyRuntime

/// Calls that run long inside C (a backtracking pattern match, a shift over a length a metatable made up, a
/// huge sort) must not hold their worker: another process on the same worker keeps answering while they run.
/// Code that runs where it cannot be preempted at all (an xpcall message handler, a metamethod called from C)
/// is stopped after a bound, and its process ends with an error that says why.
@Suite struct LongCallTests {
    /// The process under test: it tells the tester it started, then runs `call`, then says it finished.
    static func victim(_ call: String) -> String {
        """
        return { main = function(tester)
            process.send(tester, "started")
            \(call)
            process.send(tester, "finished")
            return "finished"
        end }
        """
    }

    /// The tester, on the same worker as the victim: 20 ping-pongs with a third process while the victim is
    /// in its call, then (with `terminate`) the victim, still in its call, is terminated; without it, the
    /// victim must finish after the pongs.
    static func tester(terminate: Bool) -> String {
        """
        return { main = function()
            local inbox = process.inbox()
            local victim = process.spawn_monitored("test:victim", "app:processes", process.pid())
            eq("first message", inbox:receive():topic(), "started")
            local ponger = process.spawn("test:ponger", "app:processes")
            for i = 1, 20 do
                process.send(ponger, "ping", i)
                local m = inbox:receive()
                eq("reply " .. i, m:topic() .. " " .. tostring(m:topic() == "pong" and m:payload():data()), "pong " .. i)
            end
            process.send(ponger, "stop")
            if \(terminate) then
                eq("terminate", process.terminate(victim), true)
            else
                eq("then the victim finishes", inbox:receive():topic(), "finished")
            end
            local ev = process.events():receive()
            eq("exit from", ev.from, victim)
            if \(terminate) then
                local e = ev.result.error
                check("the victim was still in its call", e and tostring(e):find("process terminated", 1, true), e or ev.result.value)
            else
                eq("victim result", ev.result.value, "finished")
            end
            return report()
        end }
        """
    }

    func neighbourKeepsAnswering(while call: String, terminate: Bool = true) async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:ponger", source: PreemptionFairnessTests.ponger)
        node.install("test:victim", source: Self.victim(call))
        let result = await node.run(source: Self.tester(terminate: terminate))
        #expect(result?.text == "ok", "\(call)")
    }

    static let backtracking: [String] = [
        #"local r = ("a"):rep(1e6):find(".-.-.-.-b")"#,
        #"local r = ("a"):rep(1e6):match(".-.-.-.-b")"#,
        #"for w in ("a"):rep(1e6):gmatch(".-.-.-.-b") do end"#,
        #"local r = ("a"):rep(1e6):gsub(".-.-.-.-b", "x")"#,
        #"local r = ("a"):rep(1e6):gsub(".-.-.-.-b", function(s) return s end)"#,
        #"local r = ("a"):rep(1e6):gsub("a", function(s) while true do end end)"#,
        #"local co = coroutine.wrap(function() return ("a"):rep(1e6):find(".-.-.-.-b") end) co()"#,
        #"local ok = pcall(string.find, ("a"):rep(1e6), ".-.-.-.-b")"#,
    ]

    @Test(arguments: backtracking) func aBacktrackingMatchDoesNotHoldItsWorker(_ call: String) async {
        await neighbourKeepsAnswering(while: call)
    }

    @Test(arguments: [
        "table.insert(setmetatable({}, { __len = function() return 1e15 end }), 1, 'x')",
        "table.remove(setmetatable({}, { __len = function() return 1e15 end }), 1)",
    ])
    func aShiftOverAMadeUpLengthDoesNotHoldItsWorker(_ call: String) async {
        await neighbourKeepsAnswering(while: call)
    }

    /// A sort without comparator of an array too large for Lua's C sort to run at once: it is preempted (the
    /// pongs come before it finishes) and sorts correctly.
    @Test func aLargeSortDoesNotHoldItsWorker() async {
        await neighbourKeepsAnswering(while: """
            local t, n = {}, 300000
            for i = 1, n do t[i] = (i * 7919) % n end
            table.sort(t)
            for i = 1, n do if t[i] ~= i - 1 then error("not sorted at " .. i) end end
            """, terminate: false)
    }

    /// An infinite loop in an xpcall message handler: Lua runs handlers where nothing can yield. The process
    /// is stopped after a bound and ends with the "stuck" error (it does not catch it and loop again); the
    /// other processes of the worker run again afterwards.
    @Test(arguments: [
        #"xpcall(error, function(m) while true do end end, "boom")"#,
        #"xpcall(function() local t = nil; return t.x end, function(m) local n = 0 while true do n = n + 1 end end)"#,
        "local looping = setmetatable({}, { __tostring = function() while true do end end }) tostring(looping)",
        "local looping = setmetatable({}, { __tostring = function() while true do end end }) while true do pcall(tostring, looping) end",
        #"local looping = setmetatable({}, { __index = function() while true do end end }) table.concat(looping, ",", 1, 3)"#,
        #"local slow = setmetatable({}, { __tostring = function() return tostring(("a"):rep(1e6):find(".-.-.-.-b")) end }) tostring(slow)"#,
    ])
    func codeThatCannotBePreemptedIsStoppedWithAClearError(_ call: String) async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        node.install("test:ponger", source: PreemptionFairnessTests.ponger)
        node.install("test:victim", source: Self.victim(call))
        node.install("test:looper", source: "return { main = function() while true do end end }")
        let result = await node.run(source: """
            return { main = function()
                local inbox = process.inbox()
                local victim = process.spawn_monitored("test:victim", "app:processes", process.pid())
                eq("first message", inbox:receive():topic(), "started")
                local ev = process.events():receive()
                eq("exit from", ev.from, victim)
                local e = ev.result.error
                check("stopped as stuck", e and tostring(e):find("ran too long where it cannot be preempted", 1, true), e or ev.result.value)
                -- the worker is sound: a new process that never blocks (it may get the stopped one's thread)
                -- is still preempted, and a third one answers meanwhile
                local looper = process.spawn_monitored("test:looper", "app:processes")
                local ponger = process.spawn("test:ponger", "app:processes")
                for i = 1, 5 do
                    process.send(ponger, "ping", i)
                    eq("pong " .. i, inbox:receive():payload():data(), i)
                end
                process.send(ponger, "stop")
                process.terminate(looper)
                eq("looper ends", process.events():receive().from, looper)
                return report()
            end }
            """)
        #expect(result?.text == "ok", "\(call)")
    }

    /// Error objects stand for their message wherever Lua code treats them as strings.
    @Test func errorObjectsAreTakenAsTheirMessageByTheStringLibrary() async {
        let node = await LuaTestNode.make(workers: 1)
        defer { node.shutdown() }
        let result = await node.run(source: #"""
            return { main = function()
                local err = errors.new("connection not found")
                eq("find", string.find(err, "not found", 1, true), 12)
                eq("find pattern", select(3, string.find(err, "(%a+) not")), "connection")
                eq("match", string.match(err, "^(%a+)"), "connection")
                local words = {}
                for w in string.gmatch(err, "%a+") do words[#words + 1] = w end
                eq("gmatch", table.concat(words, "|"), "connection|not|found")
                eq("gsub", (string.gsub(err, "not ", "")), "connection found")
                eq("gsub replacement", (string.gsub("x", "x", err)), "connection not found")
                eq("gsub function result", (string.gsub("x", "x", function() return err end)), "connection not found")
                eq("len", string.len(err), 20)
                eq("sub", string.sub(err, 1, 4), "conn")
                eq("upper", string.upper(err), "CONNECTION NOT FOUND")
                eq("lower", string.lower(errors.new("ABC")), "abc")
                eq("rep", string.rep(errors.new("ab"), 2, ","), "ab,ab")
                eq("reverse", string.reverse(errors.new("abc")), "cba")
                eq("byte", string.byte(err, 1), 99)
                eq("format %s", string.format("%s!", err), "connection not found!")
                eq("format %q-free", string.format("[%10.4s]", err), "[      conn]")
                eq("method find", err:find("not", 1, true), 12)
                eq("method upper", err:upper(), "CONNECTION NOT FOUND")
                eq("method len", err:len(), 20)
                eq("tostring length", #tostring(err), 20)
                eq("methods still there", err:message(), "connection not found")
                eq("kind", err:kind(), "")
                check("a non-error userdata is still refused", not pcall(string.len, process.inbox()))
                return report()
            end }
            """#)
        #expect(result?.text == "ok")
    }
}
