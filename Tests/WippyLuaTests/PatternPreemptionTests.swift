import Testing
import WippyLua

/// Long pattern matches and other long C calls give the thread back to the scheduler (they yield as a
/// preemption and go on where they stopped), and give the results Lua's own functions give.
@Suite struct PatternPreemptionTests {
    /// A state set up as a worker's: Wippy's library extensions and coroutines, preemption every 100
    /// instructions.
    static func preemptibleState() -> LuaState {
        let state = Bridge.state(wippyCoroutines: true)
        state.openLibraryExtensions()
        state.installPreemption(instructionsPerTick: 100)
        _ = LuaState.takePreempted()
        LuaState.clearDoom()
        return state
    }

    /// Resumes `thread` with a budget of `budget` ticks until it stops yielding for preemption or is doomed
    /// (as the scheduler does); returns the final step and how many preemptions there were.
    static func runToEnd(_ thread: Lua, budget: Int32 = 1, limit: Int = 10_000_000) -> (Bridge.Step, Int) {
        var preemptions = 0
        for _ in 0..<limit {
            LuaState.setPreemptionBudget(budget)
            let step = Bridge.resume(thread)
            if LuaState.doomMessage != nil { return (step, preemptions) }
            if step == .yielded([]) && LuaState.takePreempted() {
                preemptions += 1
                continue
            }
            return (step, preemptions)
        }
        return (.failed("did not finish"), preemptions)
    }

    /// Expressions that keep the matcher busy for a while (or call back into Lua a lot), with the results
    /// Lua's own library gives.
    static let busy: [String] = [
        #"return (("a"):rep(200)):find(".-.-b")"#,
        #"return (("a"):rep(150) .. "b" .. ("a"):rep(150)):find("(.-)(a-)b()", 152)"#,
        #"return (("a"):rep(200)):match("(.-)(.-)b")"#,
        #"return (("x"):rep(300) .. "y"):match("^(x-)(x-)z$")"#,
        #"local out = {} for a, b in (("a"):rep(150) .. "b" .. ("a"):rep(150)):gmatch("(.-)(.-)b") do out[#out + 1] = #a .. ":" .. #b end return table.concat(out, ",")"#,
        #"return (("a"):rep(200)):gsub(".-.-b", "x")"#,
        #"return (("ab"):rep(4000)):gsub("(a)(b)", "%2%1")"#,
        #"return (("ab"):rep(4000)):gsub("%w", { a = "1", b = false })"#,
        #"return (("ab"):rep(100)):gsub("(a)(b)", function(a, b) local s = 0 for i = 1, 500 do s = s + i end return b .. a .. s end)"#,
        #"return (("ab"):rep(100)):gsub("()b", function(p) for i = 1, 300 do end if p % 3 == 0 then return nil end return p end, 70)"#,
        #"local co = coroutine.wrap(function() return (("a"):rep(200)):find(".-.-b") end) return co()"#,
        #"local co = coroutine.wrap(function() return (("ab"):rep(100)):gsub("b", function() for i = 1, 500 do end return "c" end) end) return co()"#,
        #"local s = string.rep("ab", 3e6, ",") return #s, s:sub(1, 7), s:sub(-5), s == ("ab,"):rep(3e6 - 1) .. "ab""#,
        #"local s = ("xyz"):rep(1e6) return #s, s:sub(-4), s:find("zx", 2999990, true)"#,
    ]

    @Test(arguments: busy) func longMatchesArePreemptedAndGiveLuasResults(_ source: String) {
        let expected = Bridge.run(LuaState(standardLibraries: true), source)
        guard case .success(let want) = expected else {
            Issue.record("Lua's own run failed: \(expected)")
            return
        }
        let state = Self.preemptibleState()
        withExtendedLifetime(state) {
            let (step, preemptions) = Self.runToEnd(Bridge.thread(state, source))
            #expect(step == .returned(want))
            #expect(preemptions > 5, "the call was not preempted (\(preemptions))")
        }
    }

    /// A gsub replacement function may block (a system yield: the scheduler resumes the thread with the
    /// answer), also inside a user coroutine; the substitution goes on with the answers.
    @Test func aGsubReplacementFunctionMayBlock() {
        let state = Self.preemptibleState()
        Bridge.setGlobal(state, "block", YieldNatives.block)
        let thread = Bridge.thread(state, """
            local r, n = string.gsub("a-b-c", "%a", function(c) return block(c) end)
            local co = coroutine.wrap(function() return (string.gsub("xy", ".", function(c) return block(c) end)) end)
            return r, n, co()
            """)
        var answers: [String] = []
        var arguments: Int32 = 0
        while answers.count <= 10 {
            LuaState.setPreemptionBudget(1_000)
            let step = Bridge.resume(thread, arguments: arguments)
            guard step == .systemYield else {
                #expect(step == .returned(["Aa-Bb-Cc", "3", "XxYy"]))
                break
            }
            let asked = Bridge.global(state, "blocked_with")
            answers.append(asked)
            thread.push(asked.uppercased() + asked)
            arguments = 1
        }
        #expect(answers == ["a", "b", "c", "x", "y"])
    }

    /// A match that cannot be preempted (no scheduler here) still ends: after a cap on its steps it fails with
    /// an error that says why.
    @Test func aRunawayMatchGivesUpWithAClearError() {
        let state = LuaState(standardLibraries: true)
        state.openLibraryExtensions()
        LuaState.setPatternStepLimit(2_000_000)
        defer { LuaState.setPatternStepLimit(nil) }
        for call in ["find", "match", "gmatch", "gsub"] {
            let invoke = call == "gmatch" ? "s:gmatch(p)()" : call == "gsub" ? "s:gsub(p, 'x')" : "s:\(call)(p)"
            let source = "local s, p = ('a'):rep(1e6), '.-.-.-.-b' return pcall(function() return \(invoke) end)"
            let result = Bridge.run(state, source)
            guard case .success(let values) = result, values.count == 2 else {
                Issue.record("\(call): \(result)")
                continue
            }
            #expect(values[0] == "false", "\(call)")
            #expect(values[1].contains("pattern too complex (gave up after 2 million steps"), "\(call): \(values[1])")
        }
    }

    /// Where the thread cannot yield (inside a metamethod called from C) a long match keeps going; past the
    /// stuck bound the process is doomed, and the thread stops at the next point that can yield.
    @Test func aMatchThatCannotYieldDoomsItsProcessWhenStuck() {
        let state = Self.preemptibleState()
        defer { LuaState.clearDoom() }
        let thread = Bridge.thread(state, """
            local stuck = setmetatable({}, { __tostring = function() return tostring(("a"):rep(1e6):find(".-.-.-.-b")) end })
            local ok, e = pcall(tostring, stuck)
            caught = e
            return "went on"
            """)
        let (step, _) = Self.runToEnd(thread, budget: 1_000)
        #expect(step == .yielded([]), "\(step)")
        #expect(LuaState.doomMessage == LuaState.stuckMessage)
        #expect(Bridge.global(state, "caught") == "nil", "the pcall around it kept the process going")
    }

    /// A message handler that loops for ever: Lua runs it where nothing can yield, so the process is doomed;
    /// the handler is not run again (Lua would call it again for the error raised inside it, with hooks off),
    /// and the thread stops at the next point that can yield.
    @Test func anXpcallHandlerThatLoopsForEverIsStopped() {
        let state = Self.preemptibleState()
        defer { LuaState.clearDoom() }
        let thread = Bridge.thread(state, """
            handled = 0
            local ok, e = xpcall(error, function(m) handled = handled + 1 while true do end end, "boom")
            after = "ran on"
            return ok, e
            """)
        let (step, _) = Self.runToEnd(thread, budget: 1_000)
        #expect(step == .yielded([]))
        #expect(LuaState.doomMessage == LuaState.stuckMessage)
        #expect(Bridge.global(state, "handled") == "1")
        #expect(Bridge.global(state, "after") == "nil")
    }

    /// xpcall still works as Lua's for processes that are not doomed.
    @Test func xpcallBehavesAsLuas() {
        let source = """
            local r = {}
            r[#r + 1] = table.concat({ tostring(xpcall(function(a, b) return a + b end, print, 2, 3)) }, ",")
            local ok, m = xpcall(error, function(e) return "handled: " .. tostring(e) end, "boom")
            r[#r + 1] = tostring(ok) .. "," .. m
            ok, m = xpcall(function() error({ code = 7 }) end, function(e) return e.code end)
            r[#r + 1] = tostring(ok) .. "," .. tostring(m)
            ok, m = xpcall(error, function(e) error("again") end, "x")
            r[#r + 1] = tostring(ok) .. "," .. tostring(m)
            local n = select("#", xpcall(function() return 1, nil, 3 end, print))
            r[#r + 1] = tostring(n)
            ok, m = pcall(xpcall, print)
            r[#r + 1] = tostring(ok) .. "," .. m
            return table.concat(r, ";")
            """
        let stock = Bridge.run(LuaState(standardLibraries: true), source)
        let ours = LuaState(standardLibraries: true)
        ours.openLibraryExtensions()
        #expect(Bridge.run(ours, source) == stock)
    }

    /// A doom from outside Lua (as the memory limit will): the thread stops at its next instruction, even
    /// inside pcall, and cannot go on.
    @Test func aDoomedThreadStopsAtItsNextInstruction() {
        let state = Self.preemptibleState()
        defer { LuaState.clearDoom() }
        Bridge.setGlobal(state, "doom", { raw in
            LuaState.doom("memory limit exceeded", thread: Lua(raw!))
            return 0
        })
        let thread = Bridge.thread(state, """
            n = 0
            while true do
                pcall(function() n = n + 1 if n == 1000 then doom() end end)
            end
            """)
        LuaState.setPreemptionBudget(1_000_000)
        #expect(Bridge.resume(thread) == .yielded([]))
        #expect(LuaState.doomMessage == "memory limit exceeded")
        #expect(Bridge.global(state, "n") == "1000")
    }

    /// table.insert/remove shifting elements are preempted (a lying __len would otherwise hold the thread for
    /// ever) and give Lua's results.
    @Test(arguments: [
        "local t = {} for i = 1, 20000 do t[i] = i end table.insert(t, 1, 0) return t[1], t[2], t[20001], #t",
        "local t = {} for i = 1, 20000 do t[i] = i end local v = table.remove(t, 1) return v, t[1], t[19999], t[20000], #t",
        "local t = {} for i = 1, 20000 do t[i] = i end table.insert(t, 20001, 'x') table.insert(t, 'y') return t[20001], t[20002], #t",
        "local t = {1, 2, 3} return pcall(table.insert, t, 5, 'x')",
        "local t = {1, 2, 3} return pcall(table.insert, t, 1, 2, 3)",
        "return pcall(table.insert, nil, 1, 2)",
        "local t = {1, 2, 3} return table.remove(t, 4), pcall(table.remove, t, 5)",
        "local t = {} return table.remove(t), table.remove(t, 0), #t",
    ])
    func tableShiftsArePreemptedAndGiveLuasResults(_ source: String) {
        let expected = Bridge.run(LuaState(standardLibraries: true), source)
        guard case .success(let want) = expected else {
            Issue.record("Lua's own run failed: \(expected)")
            return
        }
        let state = Self.preemptibleState()
        withExtendedLifetime(state) {
            let (step, _) = Self.runToEnd(Bridge.thread(state, source))
            #expect(step == .returned(want))
        }
    }

    @Test func aLyingLengthDoesNotHoldTheThread() {
        let state = Self.preemptibleState()
        for call in ["table.insert(t, 1, 'x')", "table.remove(t, 1)"] {
            let thread = Bridge.thread(state, "local t = setmetatable({}, { __len = function() return 1e15 end }) \(call)")
            var preemptions = 0
            for _ in 0..<5 {
                LuaState.setPreemptionBudget(1)
                if Bridge.resume(thread) == .yielded([]) && LuaState.takePreempted() { preemptions += 1 }
            }
            #expect(preemptions == 5, "\(call)")
        }
        withExtendedLifetime(state) {}
    }

    /// Lua's string.rep loops `n` times even when the result is empty.
    @Test func repeatingAnEmptyStringReturnsAtOnce() {
        let state = LuaState(standardLibraries: true)
        state.openLibraryExtensions()
        #expect(Bridge.run(state, "return #string.rep('', 1e15), #(''):rep(1e15, ''), string.rep('ab', 3, ','), ('x'):rep(0)")
            == .success(["0", "0", "ab,ab,ab", ""]))
    }
}
