import Testing
import WippyLua

/// Memory accounts in one state (the allocator's side of per-process limits) and the doom of the running
/// thread at its next safe point. None of these states has the permanent preemption hook: dooms and checks
/// arm the hook themselves.
@Suite struct MemoryAccountTests {
    /// Blocks are charged to the account current when they are made and taken off it when they are freed,
    /// whichever account is current then; a closed account's blocks are forgotten.
    @Test func blocksStayWithTheirOwner() throws {
        let state = Bridge.state()
        let memory = state.memory
        let a = memory.open(limit: nil, owner: nil)
        let b = memory.open(limit: nil, owner: nil)
        memory.charge(a)
        _ = try Bridge.run(state, "big = {} for i = 1, 100000 do big[i] = {i} end").get()
        let held = memory.usage(of: a)?.bytes ?? 0
        #expect(held > 100_000 * 40, "account a holds \(held) bytes")
        memory.charge(b)
        let beforeB = memory.usage(of: b)?.bytes ?? 0
        _ = try Bridge.run(state, "big = nil collectgarbage()").get()
        #expect((memory.usage(of: a)?.bytes ?? Int.max) < held / 10, "a's table was freed while b was current")
        #expect((memory.usage(of: b)?.bytes ?? Int.max) < beforeB + 64 * 1024, "b is not charged for a's garbage")

        let c = memory.open(limit: nil, owner: nil)
        memory.charge(c)
        _ = try Bridge.run(state, "keep = {} for i = 1, 50000 do keep[i] = {i} end").get()
        memory.charge(.worker)
        memory.close(c)
        #expect(memory.usage(of: c) == nil)
        let d = memory.open(limit: nil, owner: nil)
        _ = try Bridge.run(state, "keep = nil collectgarbage()").get()
        let dBytes = memory.usage(of: d)?.bytes ?? Int.min
        #expect(dBytes == 0, "a new account (perhaps in c's slot) is not charged for c's blocks: \(dBytes)")
        #expect((memory.usage(of: b)?.bytes ?? Int.min) >= 0)
    }

    /// Blocks of every small size class, made under one account and freed while another is current, go back
    /// to the account that made them, exactly: the allocator's frameless paths (a block from a slab's free
    /// list or never-used blocks, a block back to a slab that stays partial) and its general path must keep
    /// the same books. Fails if either path charges or credits the wrong account or the wrong size (the
    /// maker's bytes drift by the churn's size, megabytes, or the other account's move).
    @Test func everySmallClassBalancesItsAccount() throws {
        let state = Bridge.state()
        let memory = state.memory
        let maker = memory.open(limit: nil, owner: nil)
        let collector = memory.open(limit: nil, owner: nil)
        _ = try Bridge.run(state, """
            function churn()
                local live = {}
                for round = 1, 3 do
                    for n = 1, 1100, 3 do
                        live[#live + 1] = string.rep(string.char(65 + n % 26), n) .. round
                        local t = {}
                        for i = 1, n % 70 do t[i] = i end
                        live[#live + 1] = t
                    end
                end
                return live
            end
            collectgarbage()
            """).get()
        let makerBefore = memory.usage(of: maker)?.bytes ?? Int.min
        let collectorBefore = memory.usage(of: collector)?.bytes ?? Int.min
        for _ in 0..<4 {
            memory.charge(maker)
            #expect(try Bridge.run(state, "held = churn() return #held").get() == ["2202"])
            let holding = (memory.usage(of: maker)?.bytes ?? 0) - makerBefore
            #expect(holding > 500_000, "the churn was charged to its maker: \(holding) bytes")
            memory.charge(collector)
            _ = try Bridge.run(state, "held = nil collectgarbage() collectgarbage()").get()
        }
        let makerAfter = memory.usage(of: maker)?.bytes ?? Int.max
        let collectorAfter = memory.usage(of: collector)?.bytes ?? Int.max
        memory.charge(.worker)
        #expect(abs(makerAfter - makerBefore) < 4096, "maker \(makerBefore) -> \(makerAfter) bytes")
        #expect(abs(collectorAfter - collectorBefore) < 4096, "collector \(collectorBefore) -> \(collectorAfter) bytes")
    }

    /// A running account that grows past its limit is collected, then doomed, and its thread is stopped at the
    /// next instruction: it yields to its resumer with the doom pending.
    @Test func runawayThreadIsStoppedWithAMemoryDoom() {
        let state = Bridge.state()
        let memory = state.memory
        let account = memory.open(limit: 4 << 20, owner: nil)
        let thread = Bridge.thread(state, "t = {} local i = 0 while true do i = i + 1 t[i] = {i} end")
        memory.run(account)
        let step = Bridge.resume(thread)
        memory.run(.worker)
        #expect(step == .yielded([]))
        #expect(LuaState.doomMessage == "memory limit exceeded")
        #expect(memory.usage(of: account)?.isDoomed == true)
        #expect(memory.collections >= 1, "the account was collected before it was judged")
        #expect(memory.takeDoomed() == nil, "the account had no owner to hand back")
        LuaState.clearDoom()
        #expect(LuaState.doomMessage == nil)
    }

    /// Garbage is not held against an account: allocating many times the limit while holding little passes.
    @Test func churnUnderTheLimitIsNotKilled() {
        let state = Bridge.state()
        let memory = state.memory
        let account = memory.open(limit: 4 << 20, owner: nil)
        let thread = Bridge.thread(state, """
            local keep = {}
            for i = 1, 20 do keep[i] = string.rep("k", 100000) .. i end
            for round = 1, 2000 do
                local t = {}
                for j = 1, 100 do t[j] = {j, tostring(j)} end
            end
            return #keep
            """)
        memory.run(account)
        let step = Bridge.resume(thread)
        memory.run(.worker)
        #expect(step == .returned(["20"]))
        #expect(LuaState.doomMessage == nil)
        #expect(memory.usage(of: account)?.isDoomed == false)
    }

    /// One request far beyond the limit is refused before it is made (Lua raises its memory error, which
    /// pcall catches), and the account is doomed anyway.
    @Test func hugeRequestIsRefusedAndDooms() {
        let state = Bridge.state()
        let memory = state.memory
        let account = memory.open(limit: 1 << 20, owner: nil)
        let thread = Bridge.thread(state, "local ok, err = pcall(string.rep, 'x', 64 * 1024 * 1024) caught = tostring(ok) .. ' ' .. tostring(err) return 'survived'")
        memory.run(account)
        let step = Bridge.resume(thread)
        memory.run(.worker)
        #expect(step == .yielded([]), "the thread is stopped right after the pcall")
        #expect(Bridge.global(state, "caught") == "nil", "no instruction ran after the refusal")
        #expect(memory.usage(of: account)?.isDoomed == true)
        #expect((memory.usage(of: account)?.bytes ?? Int.max) < 1 << 20, "the 64 MiB were never allocated")
        #expect(state.peakBytes < 16 << 20)
        #expect(LuaState.doomMessage == "memory limit exceeded")
        LuaState.clearDoom()
    }

    static let doom: LuaNativeFunction = { state in
        LuaState.doom("stopped by test", thread: Lua(state!))
        return 0
    }

    /// Where the thread cannot yield (a sort comparator, an xpcall message handler that loops), the doom raises
    /// a memory error at every instruction until a yieldable point, then yields there; a pcall in between does
    /// not keep the thread going, and a message handler is not run again for the raised error.
    @Test(arguments: [
        "pcall(table.sort, {3, 2, 1}, function(a, b) kill() while true do end end) after = true while true do end",
        "xpcall(function() error('boom') end, function(m) kill() while true do end end) after = true while true do end",
        "coroutine.wrap(function() kill() while true do end end)() after = true while true do end",
        "while true do pcall(function() kill() while true do end end) after = true end",
    ])
    func doomStopsTheThreadWhereverItRuns(_ source: String) {
        let state = Bridge.state(wippyCoroutines: true)
        Bridge.setGlobal(state, "kill", Self.doom)
        let thread = Bridge.thread(state, source)
        let step = Bridge.resume(thread)
        #expect(step == .yielded([]), "\(step)")
        #expect(Bridge.global(state, "after") == "nil")
        #expect(LuaState.doomMessage == "stopped by test")
        LuaState.clearDoom()
        thread.resetHook()
    }
}
