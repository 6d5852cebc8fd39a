import Testing
import WippyLua

enum YieldNatives {
    /// `block(...)`: records its first argument in the global `blocked_with`, then makes a system yield.
    /// The values the thread is resumed with become its results.
    static let block: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.pushGlobals()
        lua.pushValue(at: 1)
        lua.rawSet(-2, key: "blocked_with")
        lua.pop()
        return lua.yieldToScheduler()
    }

    /// `has_task()`: "set" when the calling thread's extra space is non-nil, else "unset".
    static let hasTask: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(lua.extraSpace != nil ? "set" : "unset")
        return 1
    }
}

@Suite struct NativeYieldTests {
    func yieldingState() -> LuaState {
        let state = Bridge.state(wippyCoroutines: true)
        Bridge.setGlobal(state, "block", YieldNatives.block)
        return state
    }

    @Test func nativeYieldIsResumedFromSwiftWithResults() {
        let state = yieldingState()
        let thread = Bridge.thread(state, "local a, b = block('request') return a + b, blocked_with, select('#', a, b)")
        #expect(Bridge.resume(thread) == .systemYield)
        #expect(Bridge.global(state, "blocked_with") == "request")
        thread.push(Int64(40))
        thread.push(Int64(2))
        #expect(Bridge.resume(thread, arguments: 2) == .returned(["42", "request", "2"]))
    }

    @Test func nativeYieldResumedWithNothingReturnsNothing() {
        let state = yieldingState()
        let thread = Bridge.thread(state, "return select('#', block())")
        #expect(Bridge.resume(thread) == .systemYield)
        #expect(Bridge.resume(thread) == .returned(["0"]))
    }

    @Test func manySystemYieldsInALoop() {
        let state = yieldingState()
        let thread = Bridge.thread(state, "local sum = 0 for i = 1, 1000 do sum = sum + block(i) end return sum")
        var step = Bridge.resume(thread)
        var count: Int64 = 0
        while step == .systemYield {
            count += 1
            #expect(Bridge.global(state, "blocked_with") == "\(count)")
            thread.push(count * 2)
            step = Bridge.resume(thread, arguments: 1)
        }
        #expect(count == 1000)
        #expect(step == .returned(["1001000"]))
    }

    @Test func yieldAcrossPcallReturnsThroughIt() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local ok, v = pcall(function() local x = block() return x * 2 end)
            local ok2, e2 = pcall(function() local x = block() error({code = x}) end)
            local ok3, e3 = xpcall(function() local x = block() error("bad " .. x) end, function(m) return "handled: " .. m end)
            return ok, v, ok2, e2.code, ok3, e3
            """)
        #expect(Bridge.resume(thread) == .systemYield)
        thread.push(Int64(21))
        #expect(Bridge.resume(thread, arguments: 1) == .systemYield)
        thread.push(Int64(7))
        #expect(Bridge.resume(thread, arguments: 1) == .systemYield)
        thread.push("v")
        #expect(Bridge.resume(thread, arguments: 1) == .returned(["true", "42", "false", "7", "false", "handled: test:3: bad v"]))
    }

    @Test func yieldInsideNestedPcallsInsideACoroutine() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local co = coroutine.create(function()
                local ok, v = pcall(function()
                    return select(2, pcall(function() return block("deep") + 1 end))
                end)
                return ok, v
            end)
            return coroutine.resume(co)
            """)
        #expect(Bridge.resume(thread) == .systemYield)
        #expect(Bridge.global(state, "blocked_with") == "deep")
        thread.push(Int64(41))
        #expect(Bridge.resume(thread, arguments: 1) == .returned(["true", "true", "42"]))
    }

    @Test func errorAfterResumeFailsTheThread() {
        let state = yieldingState()
        let thread = Bridge.thread(state, "local v = block()\nerror('after ' .. v)")
        #expect(Bridge.resume(thread) == .systemYield)
        thread.push("resume")
        #expect(Bridge.resume(thread, arguments: 1) == .failed("test:2: after resume"))
        #expect(thread.status == .runtimeError)
    }

    @Test func yieldInsideAMetamethodIsAllowed() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local t = setmetatable({}, {__index = function(_, k) return block(k) end,
                                        __add = function(a, b) return block("add") end})
            return t.foo, t + 1
            """)
        #expect(Bridge.resume(thread) == .systemYield)
        #expect(Bridge.global(state, "blocked_with") == "foo")
        thread.push("bar")
        #expect(Bridge.resume(thread, arguments: 1) == .systemYield)
        #expect(Bridge.global(state, "blocked_with") == "add")
        thread.push(Int64(3))
        #expect(Bridge.resume(thread, arguments: 1) == .returned(["bar", "3"]))
    }

    @Test func yieldFromTheMainThreadIsAnErrorNotACrash() throws {
        let state = yieldingState()
        if case .failure(let error) = Bridge.run(state, "return block()") {
            #expect(error.message.contains("attempt to yield from outside a coroutine"), "\(error)")
        } else {
            Issue.record("a yield from the main thread must fail")
        }
        #expect(try Bridge.run(state, "return 1").get() == ["1"])
    }

    @Test func yieldAcrossANonYieldableCCallIsAnError() {
        let state = yieldingState()
        let thread = Bridge.thread(state, """
            local ok, e = pcall(table.sort, {3, 2, 1}, function(a, b) block() return a < b end)
            local ok2, e2 = pcall(string.gsub, "abc", "%w", function(c) return block(c) end)
            return ok, e, ok2, e2
            """)
        #expect(
            Bridge.resume(thread)
                == .returned(["false", "attempt to yield across a C-call boundary", "false", "attempt to yield across a C-call boundary"]))
    }
}
