import Testing
import WippyCore
import WippyLua
import WippyRuntime

/// `funcs.call`, Futures and executors, calling real function entries.
@Suite struct FuncsTests {
    /// A harness with a few function entries installed.
    func harness(modules: [any LuaModule] = []) -> ModulesHarness {
        let harness = ModulesHarness(extraModules: modules)
        harness.install("test:double", kind: .function, source: "return function(x) return x * 2 end")
        harness.install("test:echo", kind: .function, source: "return function(...) return {...} end")
        harness.install("test:nothing", kind: .function, source: "return function() end")
        harness.install("test:fail", kind: .function, source: """
            return function(kind)
                return nil, errors.new({message = "nope", kind = kind, retryable = true, details = {n = 1}})
            end
            """)
        harness.install("test:raise", kind: .function, source: "return function() error('exploded', 0) end")
        harness.install("test:slow", kind: .function, source: """
            return function(ms) time.sleep(ms * time.MILLISECOND) return "slow done" end
            """, modules: ["time"])
        return harness
    }

    @Test func callReturnsTheValueWithIntegersIntact() async {
        let result = await harness().run("""
            return function()
                local v = funcs.call("test:double", 21)
                local echo = funcs.call("test:echo", "a", 2.5, {k = true})
                local none, err = funcs.call("test:nothing")
                return {v, math.type(v), echo[1], echo[2], echo[3].k, none == nil, err == nil}
            end
            """)
        #expect(result.value == .array([42, "integer", "a", 2.5, true, true, true]))
    }

    @Test func calleeErrorsKeepKindRetryableAndDetails() async {
        let result = await harness().run("""
            return function()
                local v, err = funcs.call("test:fail", errors.NOT_FOUND)
                local v2, err2 = funcs.call("test:raise")
                return {v == nil, err:kind(), err:message(), err:retryable(), err:details().n, v2 == nil, err2:message()}
            end
            """)
        #expect(result.value == .array([true, "NotFound", "nope", true, 1, true, "exploded"]))
    }

    /// The worker keeps the last parsed target (compared by its bytes): repeated, alternating, built and
    /// invalid targets each reach their own function or error.
    @Test func repeatedAndAlternatingTargetsEachReachTheirFunction() async {
        let result = await harness().run("""
            return function()
                local out = {}
                for i = 1, 3 do
                    table.insert(out, funcs.call("test:double", i))
                    table.insert(out, funcs.call("test:echo", i)[1])
                    table.insert(out, funcs.call("test:" .. "double", i))
                    local v, err = funcs.call("test:doublf", i)
                    table.insert(out, err:kind())
                    table.insert(out, funcs.call("test:double", i))
                end
                return out
            end
            """)
        #expect(result.value == .array([
            2, 1, 2, "NotFound", 2, 4, 2, 4, "NotFound", 4, 6, 3, 6, "NotFound", 6,
        ]))
    }

    @Test func malformedTargetsAreInvalid() async {
        let result = await harness().run("""
            return function()
                local out = {}
                for _, target in ipairs{"", "nocolon", ":name", "ns:"} do
                    local v, err = funcs.call(target)
                    table.insert(out, err:kind() .. ": " .. err:message())
                end
                local v, err = funcs.call(nil)
                table.insert(out, err:message())
                local f, err2 = funcs.async("nocolon")
                table.insert(out, err2:message())
                table.insert(out, pcall(funcs.call, {}) and "no raise" or "raised")
                return out
            end
            """)
        #expect(result.value == .array([
            "Invalid: function ID required", "Invalid: namespace required in function ID",
            "Invalid: namespace required in function ID", "Invalid: name required in function ID",
            "function ID required", "namespace required in function ID", "raised",
        ]))
    }

    @Test func unknownFunctionsAreNotFound() async {
        let result = await harness().run("""
            return function()
                local v, err = funcs.call("test:missing")
                local f, err2 = funcs.async("test:missing")
                return {err:kind(), f == nil, err2:kind()}
            end
            """)
        #expect(result.value == .array(["NotFound", true, "NotFound"]))
    }

    @Test func futureDeliversAPayloadThenCloses() async {
        let result = await harness().run("""
            return function()
                local f = funcs.async("test:double", 4)
                local before = f:is_complete()
                local pending_value, pending_err = f:result()
                local p, ok = f:channel():receive()
                local again, ok2 = f:response():receive()
                local r, err = f:result()
                local e, failed = f:error()
                return {before, pending_value == nil and pending_err == nil, p:data(), ok, again == nil, ok2,
                    f:is_complete(), r:data(), err == nil, e == nil, failed, f:is_canceled()}
            end
            """)
        #expect(result.value == .array([false, true, 8, true, true, false, true, 8, true, true, false, false]))
    }

    @Test func failedFutureDeliversTheErrorAndErrorForcesInternal() async {
        let result = await harness().run("""
            return function()
                local f = funcs.async("test:fail", errors.CONFLICT)
                local value = f:channel():receive()
                local r, err = f:result()
                local e, failed = f:error()
                return {errors.is(value, errors.CONFLICT), r == nil, err:kind(), e:kind(), e:message(), failed}
            end
            """)
        #expect(result.value == .array([true, true, "Conflict", "Internal", "nope", true]))
    }

    @Test func canceledFutureReportsCanceled() async {
        let result = await harness().run("""
            return function()
                local f = funcs.async("test:slow", 50)
                local ok = f:cancel()
                local r, err = f:result()
                local v, open = f:channel():receive()
                return {ok, f:is_canceled(), r == nil, err:kind(), err:message(), open, f:is_complete()}
            end
            """)
        #expect(result.value == .array([true, true, true, "Canceled", "canceled", false, false]))
    }

    @Test func futuresWorkInASelect() async {
        let result = await harness().run("""
            return function()
                local slow = funcs.async("test:slow", 30)
                local fast = funcs.async("test:double", 5)
                local r = channel.select{ slow:channel():case_receive(), fast:channel():case_receive() }
                local s = slow:channel():receive()
                return {r.channel == fast:channel(), r.value:data(), s:data()}
            end
            """)
        #expect(result.value == .array([true, 10, "slow done"]))
    }

    @Test func executorCarriesContextValues() async {
        let harness = harness(modules: [ContextProbeModule()])
        harness.install("test:read_context", kind: .function, source: """
            return function() return probe.values() end
            """, modules: ["probe"])
        let result = await harness.run("""
            return function()
                local base = funcs.new()
                local ex = base:with_context({user = "ann", n = 1}):with_context({n = 2, [1] = "dropped"})
                local values = ex:call("test:read_context")
                local plain = funcs.call("test:read_context")
                local f = ex:async("test:read_context")
                local p = f:channel():receive()
                return {values.user, values.n, values[1] == nil, next(plain) == nil, p:data().user}
            end
            """)
        #expect(result.value == .array(["ann", 2, true, true, "ann"]))
    }

    @Test func executorTimeoutOption() async {
        let result = await harness().run("""
            return function()
                local ex = funcs.new():with_options({timeout = 10})
                local v, err = ex:call("test:slow", 200)
                local quick = ex:with_options({}):call("test:double", 1)
                local bad, err2 = ex:with_options({timeout = true})
                local f = funcs.new():with_options({timeout = "5ms"}):async("test:slow", 200)
                local value = f:channel():receive()
                return {v == nil, err:kind(), quick, bad == nil, err2:kind(), errors.is(value, errors.TIMEOUT)}
            end
            """)
        #expect(result.value == .array([true, "Timeout", 2, true, "Invalid", true]))
    }
}

/// A test-only module exposing the calling process's context values as `probe.values()`.
struct ContextProbeModule: LuaModule {
    let name = "probe"

    func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable()
        lua.push(native: Self.values)
        lua.rawSet(-2, key: "values")
    }

    static let values: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let process = LuaProcess.current(lua) else { return 0 }
        lua.newTable()
        for (key, value) in process.context.values {
            LuaValueConverter.push(value, on: lua, state: process.workerState)
            lua.rawSet(-2, key: key)
        }
        return 1
    }
}
