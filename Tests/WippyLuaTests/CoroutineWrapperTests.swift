import Testing
import WippyLua

/// `coroutine.create`/`resume`/`wrap`/`status` replacements (pushCoroutineCreate/Resume/Wrap/Status).
@Suite struct CoroutineWrapperTests {
    /// Scripts without natives behave exactly as with Lua's own resume/wrap: results, error messages,
    /// positions and statuses are compared against the stock library.
    static let differentialScripts: [String] = [
        // dead coroutine
        """
        local co = coroutine.create(function(a, b) return a + b end)
        local r1 = {coroutine.resume(co, 1, 2)}
        local r2 = {coroutine.resume(co)}
        return r1[1], r1[2], r2[1], r2[2], coroutine.status(co)
        """,
        // resuming itself (running)
        """
        local co
        co = coroutine.create(function() return coroutine.resume(co) end)
        return coroutine.resume(co)
        """,
        // resuming the coroutine that resumed us (normal)
        """
        local outer
        outer = coroutine.create(function()
            local inner = coroutine.create(function() return coroutine.status(outer), coroutine.resume(outer) end)
            return coroutine.resume(inner)
        end)
        return coroutine.resume(outer)
        """,
        // error inside: message with position, then dead
        """
        local co = coroutine.create(function() error("x") end)
        local ok, e = coroutine.resume(co)
        local ok2, e2 = coroutine.resume(co)
        return ok, e, ok2, e2, coroutine.status(co)
        """,
        // error values that are not strings pass through unchanged
        """
        local t = {}
        local ok, e = coroutine.resume(coroutine.create(function() error(t) end))
        local f = coroutine.wrap(function() error(t) end)
        local ok2, e2 = pcall(f)
        local ok3, e3 = coroutine.resume(coroutine.create(function() error() end))
        return ok, rawequal(e, t), ok2, rawequal(e2, t), ok3, e3
        """,
        // wrap re-raises string errors with the caller's position
        """
        local f = coroutine.wrap(function()
            error("boom")
        end)
        local ok, e = pcall(function()
            return f()
        end)
        return ok, e
        """,
        // wrap called directly by pcall (no Lua caller position)
        """
        local f = coroutine.wrap(function() error("boom") end)
        return pcall(f)
        """,
        // error with level 0 (no position) re-raised by wrap
        """
        local f = coroutine.wrap(function() error("plain", 0) end)
        local ok, e = pcall(function() return f() end)
        return e
        """,
        // dead wrap
        """
        local f = coroutine.wrap(function() return 1 end)
        local a = f()
        local ok, e = pcall(function() return f() end)
        return a, ok, e
        """,
        // generator, values both ways
        """
        local gen = coroutine.wrap(function(a)
            local b = coroutine.yield(a + 1)
            local c = coroutine.yield(b * 2)
            return "end", c
        end)
        local x = gen(1)
        local y = gen(5)
        local z, w = gen("c")
        return x, y, z, w
        """,
        // yields across pcall inside a coroutine
        """
        local f = coroutine.wrap(function()
            local ok, v = pcall(function() return coroutine.yield(1) + 1 end)
            local ok2, e2 = pcall(function() coroutine.yield(2) error("in") end)
            return ok, v, ok2, e2
        end)
        local a = f()
        local b = f(41)
        return a, b, f()
        """,
        // bad arguments
        """
        local ok1, e1 = pcall(coroutine.resume, 42)
        local ok2, e2 = pcall(coroutine.wrap, 1)
        local ok3, e3 = pcall(function() return coroutine.resume() end)
        return ok1, e1, ok2, e2, ok3, e3
        """,
        // many arguments and results
        """
        local co = coroutine.create(function(...) return select("#", ...), ... end)
        local args = {}
        for i = 1, 180 do args[i] = i end
        local r = {coroutine.resume(co, table.unpack(args))}
        return #r, r[2], r[#r]
        """,
        // status and running seen from inside
        """
        local main = coroutine.running()
        local co
        co = coroutine.create(function()
            local me, ismain = coroutine.running()
            return coroutine.status(co), me == co, ismain, coroutine.isyieldable()
        end)
        local r = {coroutine.resume(co)}
        return r[1], r[2], r[3], r[4], r[5], coroutine.status(co)
        """,
        // nested wraps propagate errors outward
        """
        local inner = coroutine.wrap(function() error({lvl = "inner"}) end)
        local outer = coroutine.wrap(function() inner() end)
        local ok, e = pcall(outer)
        return ok, e.lvl
        """,
        // yield from the thread's own body (not a user coroutine) goes to the resumer
        """
        local co = coroutine.create(function()
            local inner = coroutine.wrap(function() coroutine.yield("in") return "done" end)
            return inner(), inner()
        end)
        return coroutine.resume(co)
        """,
    ]

    func runScript(_ source: String, wippy: Bool) -> Bridge.Step {
        let state = Bridge.state(wippyCoroutines: wippy)
        let thread = Bridge.thread(state, source, name: "=diff")
        return Bridge.resume(thread)
    }

    @Test(arguments: differentialScripts.indices)
    func sameBehaviourAsStockCoroutines(_ index: Int) {
        let source = Self.differentialScripts[index]
        // Debian's 5.4.4 says "thread expected" where later 5.4 releases say "coroutine expected": either is Lua.
        func normalized(_ step: Bridge.Step) -> String {
            "\(step)".replacing("thread expected", with: "coroutine expected")
        }
        let stock = normalized(runScript(source, wippy: false))
        let ours = normalized(runScript(source, wippy: true))
        #expect(ours == stock, "script \(index):\n\(source)")
    }

    func yieldingState() -> LuaState {
        let state = Bridge.state(wippyCoroutines: true)
        Bridge.setGlobal(state, "block", YieldNatives.block)
        return state
    }

    @Test func systemYieldPassesOutThroughResumeAndResultsComeBackIn() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local co = coroutine.create(function(a)
                local x = block("inner")
                local y = coroutine.yield(x + a)
                return y * 2
            end)
            local ok1, v1 = coroutine.resume(co, 1)
            local ok2, v2 = coroutine.resume(co, 5)
            local ok3, e3 = coroutine.resume(co)
            return ok1, v1, ok2, v2, ok3, e3, coroutine.status(co)
            """)
        #expect(Bridge.resume(thread) == .systemYield)
        #expect(Bridge.global(state, "blocked_with") == "inner")
        thread.push(Int64(10))
        #expect(Bridge.resume(thread, arguments: 1) == .returned(["true", "11", "true", "10", "false", "cannot resume dead coroutine", "dead"]))
    }

    @Test func systemYieldPassesOutThroughWrap() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local gen = coroutine.wrap(function()
                for i = 1, 3 do coroutine.yield(block(i)) end
                return "done"
            end)
            return gen(), gen(), gen(), gen()
            """)
        for (expected, reply) in [("1", "a"), ("2", "b"), ("3", "c")] {
            #expect(Bridge.resume(thread, arguments: 0) == .systemYield)
            #expect(Bridge.global(state, "blocked_with") == expected)
            thread.push(reply)
            let step = Bridge.resume(thread, arguments: 1)
            if expected == "3" {
                #expect(step == .returned(["a", "b", "c", "done"]))
            } else {
                #expect(step == .systemYield)
                #expect(Bridge.global(state, "blocked_with") == String(Int(expected)! + 1))
                thread.push(["b", "c"][Int(expected)! - 1])
                let next = Bridge.resume(thread, arguments: 1)
                if expected == "1" {
                    #expect(next == .systemYield)
                    thread.push("c")
                    #expect(Bridge.resume(thread, arguments: 1) == .returned(["a", "b", "c", "done"]))
                } else {
                    #expect(next == .returned(["a", "b", "c", "done"]))
                }
                return
            }
        }
    }

    @Test func systemYieldPassesThroughTwoLevelsOfCoroutines() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local outer = coroutine.wrap(function()
                local inner = coroutine.create(function()
                    local ok, v = pcall(function() return block("deepest") end)
                    coroutine.yield("inner-yield:" .. tostring(v))
                    return "inner-done"
                end)
                local _, a = coroutine.resume(inner)
                local _, b = coroutine.resume(inner)
                coroutine.yield(a .. "," .. b)
                return "outer-done"
            end)
            return outer(), outer()
            """)
        #expect(Bridge.resume(thread) == .systemYield)
        #expect(Bridge.global(state, "blocked_with") == "deepest")
        thread.push("X")
        #expect(Bridge.resume(thread, arguments: 1) == .returned(["inner-yield:X,inner-done", "outer-done"]))
    }

    @Test func userYieldsStayLocalAndNeverReachTheResumer() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local co = coroutine.create(function() for i = 1, 5 do coroutine.yield(i) end end)
            local sum = 0
            while true do
                local ok, v = coroutine.resume(co)
                if not v then break end
                sum = sum + v
            end
            return sum
            """)
        #expect(Bridge.resume(thread) == .returned(["15"]))
    }

    @Test func errorAfterSystemYieldIsReportedByResume() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local co = coroutine.create(function() local v = block() error("after " .. v) end)
            local ok, e = coroutine.resume(co)
            local ok2, e2 = coroutine.resume(co)
            return ok, e, ok2, e2
            """)
        #expect(Bridge.resume(thread) == .systemYield)
        thread.push("x")
        #expect(Bridge.resume(thread, arguments: 1) == .returned(["false", "test:1: after x", "false", "cannot resume dead coroutine"]))
    }

    @Test func wrapReRaisesErrorsAfterSystemYieldWithPosition() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local f = coroutine.wrap(function()
                local v = block()
                error("after " .. v)
            end)
            local t = {}
            local g = coroutine.wrap(function() block() error(t) end)
            local ok, e = pcall(function()
                return f()
            end)
            local ok2, e2 = pcall(g)
            return ok, e, ok2, rawequal(e2, t)
            """)
        #expect(Bridge.resume(thread) == .systemYield)
        thread.push("x")
        #expect(Bridge.resume(thread, arguments: 1) == .systemYield)
        #expect(Bridge.resume(thread) == .returned(["false", "test:8: test:3: after x", "false", "true"]))
    }

    /// A thread marked as a task thread belongs to the scheduler: user code that gets hold of it (through
    /// `coroutine.running()`) cannot resume it, while coroutines it creates stay ordinary.
    @Test func taskThreadsAreRefusedButTheirCoroutinesAreNot() {
        let state = yieldingState()
        let task = Bridge.thread(state, """
            task_thread = coroutine.running()
            inner = coroutine.create(function() return "inner ran" end)
            return coroutine.yield()
            """)
        task.markAsTaskThread(UnsafeMutableRawPointer(bitPattern: 0x7000)!)
        #expect(task.isTaskThread)
        #expect(task.extraSpace == UnsafeMutableRawPointer(bitPattern: 0x7000))
        #expect(Bridge.resume(task) == .yielded([]))
        let other = Bridge.thread(state, """
            local ok, e = coroutine.resume(task_thread)
            local ok3, r = coroutine.resume(inner)
            return ok, e, ok3, r
            """)
        #expect(Bridge.resume(other) == .returned(["false", "cannot resume non-suspended coroutine", "true", "inner ran"]))
        task.extraSpace = UnsafeMutableRawPointer(bitPattern: 0x7000)
        #expect(!task.isTaskThread)
    }

    /// While a coroutine is parked on a system yield made on behalf of its resumer, nobody else may resume it.
    @Test func coroutineParkedOnSystemYieldCannotBeResumedByAnotherThread() {
        let state = yieldingState()
        let first = Bridge.thread(state, """
            shared_co = coroutine.create(function() return "got " .. block("parked") end)
            return coroutine.resume(shared_co)
            """)
        #expect(Bridge.resume(first) == .systemYield)
        let intruder = Bridge.thread(state, "return coroutine.resume(shared_co)")
        #expect(Bridge.resume(intruder) == .returned(["false", "cannot resume non-suspended coroutine"]))
        let wrapIntruder = Bridge.thread(state, """
            local ok, e = pcall(coroutine.wrap(function() end))
            return coroutine.resume(shared_co)
            """)
        #expect(Bridge.resume(wrapIntruder) == .returned(["false", "cannot resume non-suspended coroutine"]))
        first.push("value")
        #expect(Bridge.resume(first, arguments: 1) == .returned(["true", "got value"]))
    }

    /// Lua semantics: a coroutine that cannot be resumed because it is busy on behalf of its resumer is
    /// "normal", not "suspended" (resume refuses it, so status must not advertise it as resumable).
    @Test func statusOfCoroutineParkedOnSystemYieldIsNormal() {
        let state = yieldingState()
        let first = Bridge.thread(state, """
            shared_co = coroutine.create(function() return block("parked") end)
            return coroutine.resume(shared_co)
            """)
        #expect(Bridge.resume(first) == .systemYield)
        let observer = Bridge.thread(state, "return coroutine.status(shared_co)")
        #expect(Bridge.resume(observer) == .returned(["normal"]))
        first.push("v")
        #expect(Bridge.resume(first, arguments: 1) == .returned(["true", "v"]))
    }

    /// Lua+Thread documents that threads inherit the creator's extra space; natives find their task through it,
    /// including from user coroutines created with coroutine.create/wrap.
    @Test func threadsInheritTheCreatorsExtraSpace() {
        let state = yieldingState()
        Bridge.setGlobal(state, "has_task", YieldNatives.hasTask)
        state.main.extraSpace = nil  // as the runtime does
        let thread = state.main.newThread()
        let marker = UnsafeMutableRawPointer(bitPattern: 0x5150)
        thread.extraSpace = marker
        let child = thread.newThread()
        #expect(child.extraSpace == marker, "newThread from a thread must copy that thread's extra space")
        thread.pop()
        #expect(thread.load(Array("""
            local co = coroutine.create(function() return has_task() end)
            local w = coroutine.wrap(function() return has_task() end)
            return has_task(), select(2, coroutine.resume(co)), w()
            """.utf8), name: "=xs") == nil)
        #expect(Bridge.resume(thread) == .returned(["set", "set", "set"]))
    }

    /// A fresh state's main thread has no extra space (nil), so threads made from it start without a task.
    @Test func newStateStartsWithNilExtraSpace() {
        for round in 0..<40 {
            let state = LuaState(standardLibraries: round % 2 == 0)
            _ = Bridge.run(state, "local t = {} for i = 1, 1000 do t[i] = tostring(i) end")
            let thread = state.main.newThread()
            let clean = state.main.extraSpace == nil && thread.extraSpace == nil
            #expect(state.main.extraSpace == nil, "uninitialised extra space in a new LuaState (round \(round))")
            #expect(thread.extraSpace == nil)
            state.main.pop()
            if !clean { break }
        }
    }
}
