import Testing
import WippyLua

/// Timed preemption, as the workers use it: no hook while a slice lasts, and the ticker arms the running
/// thread's hook once it overruns. The loops below end by themselves after many seconds (os.clock) when
/// nothing preempts them, so a broken ticker fails these tests instead of hanging them.
@Suite struct TimedPreemptionTests {
    static func timedState(wippyCoroutines: Bool = true) -> LuaState {
        let state = Bridge.state(wippyCoroutines: wippyCoroutines)
        state.openLibraryExtensions()
        state.installTimedPreemption()
        _ = LuaState.takePreempted()
        LuaState.clearDoom()
        Bridge.setGlobal(state, "hooked", { raw in
            let lua = Lua(raw!)
            lua.push(LuaState.hasHook(lua))
            return 1
        })
        return state
    }

    /// A loop that runs `seconds` of CPU time unless preempted, then returns "not preempted".
    static func spin(_ seconds: Int, body: String = "") -> String {
        "local t = os.clock() while os.clock() - t < \(seconds) do \(body) end return 'not preempted'"
    }

    /// Whether the native `hooked` ever found the thread without a hook, over ten calls (a slice may overrun
    /// on a loaded machine and have its hook armed for a moment, never for all ten).
    static let everUnhooked = """
        local unhooked = false
        for i = 1, 10 do if not hooked() then unhooked = true end end
        return unhooked
        """

    /// Resumes until the thread returns (slices may overrun on a loaded machine).
    static func finish(_ thread: Lua) -> Bridge.Step {
        for _ in 0..<10_000 {
            LuaState.setPreemptionBudget(1_000_000)
            let step = Bridge.resume(thread)
            if step == .yielded([]) && LuaState.takePreempted() { continue }
            return step
        }
        return .failed("did not finish")
    }

    @Test func noHookIsInstalledWhileTheSliceLasts() {
        let timed = Self.timedState()
        #expect(Self.finish(Bridge.thread(timed, Self.everUnhooked)) == .returned(["true"]))

        // the same native sees the permanent hook of counted preemption (so it can tell)
        let counted = Bridge.state(wippyCoroutines: true)
        counted.installPreemption(instructionsPerTick: 100)
        Bridge.setGlobal(counted, "hooked", { raw in
            let lua = Lua(raw!)
            lua.push(LuaState.hasHook(lua))
            return 1
        })
        #expect(Self.finish(Bridge.thread(counted, Self.everUnhooked)) == .returned(["false"]))
    }

    @Test func aLoopIsPreemptedAndGoesOnWhereItStopped() {
        let state = Self.timedState()
        let thread = Bridge.thread(state, "n = 0 " + Self.spin(30, body: "n = n + 1"))
        LuaState.setPreemptionBudget(1)
        #expect(Bridge.resume(thread) == .yielded([]))
        #expect(LuaState.takePreempted())
        let first = Int(Bridge.global(state, "n")) ?? 0
        #expect(first > 0)
        LuaState.setPreemptionBudget(1)
        #expect(Bridge.resume(thread) == .yielded([]))
        #expect(LuaState.takePreempted())
        #expect((Int(Bridge.global(state, "n")) ?? 0) > first, "the loop continues where it stopped")
    }

    @Test func aLoopInsideAUserCoroutineIsPreemptedThroughItsResumer() {
        let state = Self.timedState()
        let thread = Bridge.thread(state, """
            local co = coroutine.create(function() \(Self.spin(30)) end)
            local ok, v = coroutine.resume(co)
            leaked = tostring(ok) .. ":" .. tostring(v)
            """)
        LuaState.setPreemptionBudget(1)
        #expect(Bridge.resume(thread) == .yielded([]))
        #expect(LuaState.takePreempted())
        #expect(Bridge.global(state, "leaked") == "nil", "the preemption did not surface in user code")
    }

    @Test func aLongNativeCallIsPreempted() {
        let state = Self.timedState()
        // a backtracking match that would run for a very long time (and then give up)
        let thread = Bridge.thread(state, #"return (("a"):rep(1e6)):find(".-.-.-.-b")"#)
        LuaState.setPreemptionBudget(1)
        #expect(Bridge.resume(thread) == .yielded([]))
        #expect(LuaState.takePreempted())
    }

    /// An xpcall message handler cannot yield: the ticker's signals find it stuck, and past the bound its
    /// process is doomed and the thread stops.
    @Test func codeThatCannotYieldIsDoomedPastTheBound() {
        let state = Self.timedState()
        defer { LuaState.clearDoom() }
        let thread = Bridge.thread(state, """
            handled = 0
            local ok, e = xpcall(error, function(m) handled = handled + 1 local t = os.clock() while os.clock() - t < 60 do end end, "boom")
            after = "ran on"
            return ok, e
            """)
        var step = Bridge.Step.failed("not run")
        for _ in 0..<1_000 {
            LuaState.setPreemptionBudget(1)
            step = Bridge.resume(thread)
            if LuaState.doomMessage != nil || !(step == .yielded([]) && LuaState.takePreempted()) { break }
        }
        #expect(LuaState.doomMessage == LuaState.stuckMessage, "\(step)")
        #expect(Bridge.global(state, "handled") == "1")
        #expect(Bridge.global(state, "after") == "nil")
    }

    /// Lua called from Swift outside any resume (a module's chunk, say) cannot yield either: a loop there is
    /// bounded the same way and ends in an error.
    @Test func aLoopInAProtectedCallFromSwiftIsStopped() {
        let state = Self.timedState()
        defer { LuaState.clearDoom() }
        let result = Bridge.run(state, Self.spin(60))
        guard case .failure = result else {
            Issue.record("the loop was not stopped: \(result)")
            return
        }
        #expect(LuaState.doomMessage == LuaState.stuckMessage)
    }
}
