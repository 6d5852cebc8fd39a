import Testing
import WippyLua

/// Natives used by the error tests. They never raise themselves: they return a status.
enum ErrorNatives {
    /// `fail(i)`: i % 3 == 0 raises "boom <i>", 1 raises an argument error, 2 raises the table `{i}`.
    static let fail: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let i = lua.integer(at: 1) ?? 0
        switch i % 3 {
        case 0:
            return lua.raise("boom \(i)")
        case 1:
            return lua.typeError(2, expected: "string")
        default:
            lua.newTable()
            lua.push(i)
            lua.rawSet(-2, index: 1)
            return lua.raiseTop()
        }
    }

    /// `need_int(n)`: raises "bad argument #1 to 'need_int' (number expected, got ...)" unless n is a number.
    static let needInt: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.integer(at: 1) != nil else { return lua.typeError(1, expected: "number") }
        lua.pushValue(at: 1)
        return 1
    }

    /// `positive(n)`: argument error with a custom message.
    static let positive: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let n = lua.integer(at: 1), n > 0 else { return lua.argumentError(1, "must be positive") }
        lua.push(n)
        return 1
    }

    /// `obj:second(n)`: checks its second argument (the first after self).
    static let secondArgument: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.integer(at: 2) != nil else { return lua.typeError(2, expected: "number") }
        lua.pushValue(at: 2)
        return 1
    }

    /// `throw(v)`: raises `v` itself.
    static let `throw`: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.top = 1
        return lua.raiseTop()
    }

    /// `newud()`: a fresh full userdata.
    static let newUserdata: LuaNativeFunction = { state in
        let lua = Lua(state!)
        _ = lua.newUserdata(size: 16)
        return 1
    }

    /// `raise_here(msg)`: `raise(msg)`, prefixed with the caller's position.
    static let raiseHere: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return lua.raise(lua.string(at: 1) ?? "?")
    }
}

@Suite struct NativeErrorTests {
    static let loopSource = """
        local fail = fail
        return function(n)
            local caught, tables = 0, 0
            for i = 1, n do
                local ok, e = pcall(fail, i)
                if ok then error("pcall returned true at " .. i) end
                if type(e) == "table" then
                    if e[1] ~= i then error("wrong error table at " .. i) end
                    tables = tables + 1
                end
                caught = caught + 1
            end
            return caught, tables
        end
        """

    /// One million erroring native calls inside pcall: no crash, no growth of Lua memory or of the process.
    @Test func millionErroringNativeCallsInPcallDoNotLeak() async throws {
        // Measured in a child running only this test: other suites of this process allocate meanwhile.
        guard ChildTestRun.isChild else {
            let (status, output) = try await ChildTestRun.run(test: "millionErroringNativeCallsInPcallDoNotLeak")
            #expect(status == 0, "the isolated measurement failed:\n\(output)")
            #expect(output.contains("[bridge-memory] million pcall"), "no measurement in the child's output:\n\(output)")
            return
        }
        let lock = await TestMemoryLock.acquire(exclusive: true)
        defer { TestMemoryLock.release(lock) }

        let state = Bridge.state()
        Bridge.setGlobal(state, "fail", ErrorNatives.fail)
        let lua = state.main
        #expect(lua.load(Array(Self.loopSource.utf8), name: "=loop") == nil)
        #expect(lua.protectedCall(arguments: 0, results: 1) == nil)
        let loop = lua.top

        func runLoop(_ n: Int) -> [String] {
            lua.pushValue(at: loop)
            lua.push(n)
            if let error = lua.protectedCall(arguments: 1, results: 2) {
                Issue.record("loop failed: \(error)")
                return []
            }
            return Bridge.take(lua, 2)
        }

        // Warm up (stack sizes, string table, malloc arenas), then measure.
        #expect(runLoop(30_000) == ["30000", "10000"])
        state.collectGarbage()
        state.collectGarbage()
        let bytesBefore = state.allocatedBytes
        let rssBefore = bridgeResidentBytes()

        #expect(runLoop(1_000_000) == ["1000000", "333333"])
        state.collectGarbage()
        state.collectGarbage()
        let bytesAfter = state.allocatedBytes
        let rssAfter = bridgeResidentBytes()
        // A second million: a real leak grows again by about as much; memory other tests of this process
        // happen to allocate meanwhile does not repeat, so the smaller of the two growths is the figure.
        #expect(runLoop(1_000_000) == ["1000000", "333333"])
        state.collectGarbage()
        state.collectGarbage()
        let bytesAfterSecond = state.allocatedBytes
        let rssAfterSecond = bridgeResidentBytes()
        let rssGrowth = min(rssAfter - rssBefore, rssAfterSecond - rssAfter)

        print(
            "[bridge-memory] million pcall: lua bytes before=\(bytesBefore) after=\(bytesAfter) "
                + "after second million=\(bytesAfterSecond) peak=\(state.peakBytes); "
                + "rss before=\(rssBefore) after=\(rssAfter) after second million=\(rssAfterSecond)")
        #expect(bytesAfter - bytesBefore <= 32 * 1024, "Lua heap grew by \(bytesAfter - bytesBefore) bytes")
        #expect(bytesAfterSecond - bytesAfter <= 32 * 1024)
        #expect(rssGrowth <= 4 * 1024 * 1024, "RSS grew by \(rssGrowth) bytes per million calls")
        // The state still works.
        #expect(try Bridge.run(state, "return 1 + 1").get() == ["2"])
    }

    /// System yields from inside pcall, resumed from Swift 200 000 times, do not leak either.
    @Test func systemYieldsInsidePcallDoNotLeak() async throws {
        // Measured in a child running only this test: other suites of this process allocate meanwhile.
        guard ChildTestRun.isChild else {
            let (status, output) = try await ChildTestRun.run(test: "systemYieldsInsidePcallDoNotLeak")
            #expect(status == 0, "the isolated measurement failed:\n\(output)")
            #expect(output.contains("[bridge-memory] 200k system yields"), "no measurement in the child's output:\n\(output)")
            return
        }
        let lock = await TestMemoryLock.acquire(exclusive: true)
        defer { TestMemoryLock.release(lock) }

        let state = Bridge.state()
        Bridge.setGlobal(state, "block", YieldNatives.block)
        Bridge.setGlobal(state, "fail", ErrorNatives.fail)
        func cycle(_ n: Int) -> Bool {
            let thread = Bridge.thread(state, """
                local total = 0
                for i = 1, \(n) do
                    local ok, v = pcall(function() return block(i) end)
                    if not ok then error("pcall failed: " .. tostring(v)) end
                    total = total + v
                    pcall(fail, i)
                end
                return total
                """)
            var steps = 0
            var step = Bridge.resume(thread)
            while step == .systemYield {
                steps += 1
                thread.push(Int64(2))
                step = Bridge.resume(thread, arguments: 1)
            }
            state.main.pop()  // the thread
            return step == .returned(["\(2 * n)"]) && steps == n
        }
        #expect(cycle(10_000))
        state.collectGarbage()
        state.collectGarbage()
        let bytesBefore = state.allocatedBytes
        let rssBefore = bridgeResidentBytes()
        #expect(cycle(200_000))
        state.collectGarbage()
        state.collectGarbage()
        let bytesAfter = state.allocatedBytes
        let rssAfter = bridgeResidentBytes()
        #expect(cycle(200_000))
        state.collectGarbage()
        state.collectGarbage()
        let bytesAfterSecond = state.allocatedBytes
        let rssAfterSecond = bridgeResidentBytes()
        let rssGrowth = min(rssAfter - rssBefore, rssAfterSecond - rssAfter)
        print(
            "[bridge-memory] 200k system yields in pcall (twice): lua before=\(bytesBefore) after=\(bytesAfter) "
                + "after second=\(bytesAfterSecond); rss growth per round=\(rssAfter - rssBefore), \(rssAfterSecond - rssAfter)")
        #expect(bytesAfter - bytesBefore <= 32 * 1024)
        #expect(bytesAfterSecond - bytesAfter <= 32 * 1024)
        #expect(rssGrowth <= 4 * 1024 * 1024)
    }

    @Test func raiseIsPrefixedWithTheCallersPosition() throws {
        let state = Bridge.state()
        Bridge.setGlobal(state, "raise_here", ErrorNatives.raiseHere)
        let result = try Bridge.run(state, """
            local ok, e = pcall(function()
                raise_here("went wrong")
            end)
            return ok, e
            """).get()
        #expect(result == ["false", "test:2: went wrong"])
    }

    @Test func argumentErrorsReadLikeLuas() throws {
        let state = Bridge.state()
        Bridge.setGlobal(state, "need_int", ErrorNatives.needInt)
        Bridge.setGlobal(state, "positive", ErrorNatives.positive)
        Bridge.setGlobal(state, "second", ErrorNatives.secondArgument)
        let result = try Bridge.run(state, """
            local out = {}
            local function try(f) local ok, e = pcall(f); out[#out + 1] = tostring(ok) .. "|" .. tostring(e) end
            try(function() return need_int("x") end)
            try(function() return need_int() end)
            try(function() return positive(-1) end)
            local obj = {second = second, check = need_int}
            try(function() return obj:second("y") end)
            try(function() return string.rep() end)
            return table.concat(out, "\\n")
            """).get()
        #expect(
            result == [
                """
                false|test:3: bad argument #1 to 'need_int' (number expected, got string)
                false|test:4: bad argument #1 to 'need_int' (number expected, got no value)
                false|test:5: bad argument #1 to 'positive' (must be positive)
                false|test:7: bad argument #1 to 'second' (number expected, got string)
                false|test:8: bad argument #1 to 'rep' (string expected, got no value)
                """
            ])
    }

    /// Lua's own luaL_argerror prefixes "bad self" errors with the position too; the bridge should match it.
    @Test func badSelfErrorCarriesPositionLikeLua() throws {
        let state = Bridge.state()
        Bridge.setGlobal(state, "need_int", ErrorNatives.needInt)
        let ours = try Bridge.run(state, """
            local obj = {check = need_int}
            local ok, e = pcall(function() return obj:check() end)
            return e
            """).get()
        let stock = try Bridge.run(state, """
            local obj = {check = string.rep}
            local ok, e = pcall(function() return obj:check() end)
            return e
            """).get()
        #expect(stock == ["test:2: calling 'check' on bad self (string expected, got table)"])
        #expect(ours == ["test:2: calling 'check' on bad self (number expected, got table)"])
    }

    @Test func tableAndUserdataErrorValuesPassThroughPcallUnchanged() throws {
        let state = Bridge.state()
        Bridge.setGlobal(state, "throw", ErrorNatives.throw)
        Bridge.setGlobal(state, "newud", ErrorNatives.newUserdata)
        let result = try Bridge.run(state, """
            local t = {code = 7}
            local ok1, e1 = pcall(throw, t)
            local u = newud()
            local ok2, e2 = pcall(throw, u)
            local ok3, e3 = pcall(function() throw(t) end)
            local ok4, e4 = pcall(throw, nil)
            local ok5, e5 = pcall(throw, 42)
            local ok6, e6 = pcall(throw, "plain")
            return ok1, rawequal(e1, t), ok2, rawequal(e2, u), ok3, rawequal(e3, t), ok4, e4, math.type(e5), e6
            """).get()
        #expect(result == ["false", "true", "false", "true", "false", "true", "false", "nil", "integer", "plain"])
    }

    @Test func errorValueOfAFailedThreadIsTheRaisedObject() {
        let state = Bridge.state()
        Bridge.setGlobal(state, "throw", ErrorNatives.throw)
        let thread = Bridge.thread(state, "sentinel = {} throw(sentinel)")
        let (status, _) = thread.resume(from: nil, arguments: 0)
        #expect(status == .runtimeError)
        state.main.pushGlobals()
        state.main.rawGet(-1, key: "sentinel")
        thread.move(1, to: state.main)
        #expect(state.main.rawEqual(-1, -2))
        state.main.pop(3)
    }

    @Test func loadSyntaxErrorsComeBackAsLuaError() {
        let state = Bridge.state()
        let lua = state.main
        let top = lua.top
        let error = lua.load(Array("return +".utf8), name: "=bad")
        #expect(error?.status == .syntaxError)
        #expect(error?.message.hasPrefix("bad:1:") == true, "\(String(describing: error))")
        #expect(lua.top == top, "a failed load must leave the stack as it was")

        let unfinished = lua.load(Array("local s = 'abc".utf8), name: "=str")
        #expect(unfinished?.status == .syntaxError)
        #expect(unfinished?.message.contains("unfinished string") == true)

        let badGoto = lua.load(Array("goto nowhere".utf8), name: "=goto")
        #expect(badGoto?.status == .syntaxError)

        // Binary chunks are refused: only text is loaded.
        let binary = lua.load([0x1B] + Array("Lua".utf8) + [0x54, 0x00], name: "=bin")
        #expect(binary != nil)
        #expect(binary?.message.contains("binary") == true, "\(String(describing: binary))")
        #expect(lua.top == top)

        #expect(lua.load(Array("return 1".utf8), name: "=ok") == nil)
        #expect(lua.top == top + 1)
        lua.pop()
    }

    @Test func runtimeErrorsOfProtectedCallsAreReported() {
        let state = Bridge.state()
        if case .failure(let error) = Bridge.run(state, "local x = nil; return x.y", name: "=rt") {
            #expect(error.status == .runtimeError)
            #expect(error.message.hasPrefix("rt:1: attempt to index a nil value"), "\(error)")
        } else {
            Issue.record("expected a runtime error")
        }
        // A table with __tostring: the message is its tostring.
        if case .failure(let error) = Bridge.run(state, "error(setmetatable({}, {__tostring = function() return 'custom' end}))") {
            #expect(error.message == "custom")
        } else {
            Issue.record("expected a runtime error")
        }
        // A __tostring that itself errors must not crash the bridge.
        if case .failure(let error) = Bridge.run(state, "error(setmetatable({}, {__tostring = function() error('nested') end}))") {
            #expect(error.message.contains("nested"), "\(error)")
        } else {
            Issue.record("expected a runtime error")
        }
        // A __tostring returning a non-string.
        if case .failure(let error) = Bridge.run(state, "error(setmetatable({}, {__tostring = function() return {} end}))") {
            #expect(error.message.contains("__tostring"), "\(error)")
        } else {
            Issue.record("expected a runtime error")
        }
        #expect(state.main.top == 0)
    }
}

