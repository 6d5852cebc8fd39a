import WippyLua

/// `math.random`, `math.randomseed`, `os.time`, `os.date` and `os.clock` of workflow runs: randomness from the
/// run's generator and time from the run's clock (``WorkflowDeterminism``), with Lua 5.4's argument rules.
enum DeterministicNatives {
    static let clockRefused = "os.clock is not replay-safe and is not available in workflows"

    /// The run of the calling process.
    @inline(__always)
    static func run(_ lua: Lua) -> WorkflowDeterminism? { LuaProcess.current(lua)?.determinism }

    static func noRun(_ lua: Lua, _ name: String) -> Int32 {
        lua.raise("\(name) is only available in a workflow run")
    }

    /// Integer argument `index` as `luaL_checkinteger` reads it.
    static func integerArgument(_ lua: Lua, _ index: Int32) -> Result<Int64, NativeStatus> {
        if let value = lua.integer(at: index) { return .success(value) }
        if lua.number(at: index) != nil {
            return .failure(NativeStatus(lua.argumentError(index, "number has no integer representation")))
        }
        if lua.type(at: index) == .string, let text = lua.string(at: index), let value = Int64(text) {
            return .success(value)
        }
        return .failure(NativeStatus(lua.typeError(index, expected: "number")))
    }

    struct NativeStatus: Error {
        let status: Int32
        init(_ status: Int32) { self.status = status }
    }

    /// `math.random()`: a float in [0, 1); `math.random(m)`: an integer in [1, m] (`random(0)`: any integer);
    /// `math.random(m, n)`: an integer in [m, n].
    static let random: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let run = run(lua) else { return noRun(lua, "math.random") }
        let word = run.random.next()
        let low: Int64
        let high: Int64
        switch lua.top {
        case 0:
            lua.push(Double(word >> 11) * 0x1p-53)
            return 1
        case 1:
            low = 1
            switch integerArgument(lua, 1) {
            case .failure(let early): return early.status
            case .success(let value): high = value
            }
            if high == 0 {
                lua.push(Int64(bitPattern: word))
                return 1
            }
        case 2:
            switch integerArgument(lua, 1) {
            case .failure(let early): return early.status
            case .success(let value): low = value
            }
            switch integerArgument(lua, 2) {
            case .failure(let early): return early.status
            case .success(let value): high = value
            }
        default:
            return lua.raise("wrong number of arguments")
        }
        guard low <= high else { return lua.argumentError(1, "interval is empty") }
        let span = UInt64(bitPattern: high &- low)
        lua.push(low &+ Int64(bitPattern: project(word, into: span, run: run)))
        return 1
    }

    /// A uniform value in [0, span] from `word` (then more words while one falls outside): the lowest bits
    /// that cover `span`, rejecting values past it.
    static func project(_ word: UInt64, into span: UInt64, run: WorkflowDeterminism) -> UInt64 {
        if span == .max { return word }
        if span & (span &+ 1) == 0 { return word & span }
        var mask = span
        mask |= mask >> 1
        mask |= mask >> 2
        mask |= mask >> 4
        mask |= mask >> 8
        mask |= mask >> 16
        mask |= mask >> 32
        var value = word & mask
        while value > span { value = run.random.next() & mask }
        return value
    }

    /// `math.randomseed([n1 [, n2]])`: reseeds the run's generator; with no argument, from the generator itself
    /// (still deterministic). Returns the two seed words, as Lua 5.4 does.
    static let randomseed: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let run = run(lua) else { return noRun(lua, "math.randomseed") }
        var words: (Int64, Int64)
        if lua.isNil(at: 1) {
            words = (Int64(bitPattern: run.random.next()), Int64(bitPattern: run.random.next()))
        } else {
            words = (seedWord(lua, 1) ?? 0, seedWord(lua, 2) ?? 0)
            if lua.type(at: 1) != .number { return lua.typeError(1, expected: "number") }
        }
        run.random = Xoshiro256StarStar(seed: UInt64(bitPattern: words.0), UInt64(bitPattern: words.1))
        lua.push(words.0)
        lua.push(words.1)
        return 2
    }

    /// A seed argument: integers as they are, floats by their bits.
    private static func seedWord(_ lua: Lua, _ index: Int32) -> Int64? {
        if let value = lua.integer(at: index) { return value }
        if let value = lua.number(at: index) { return Int64(bitPattern: value.bitPattern) }
        return nil
    }

    /// `os.time([t])`: without a table, the workflow clock.
    static let time: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.isNil(at: 1) else { return OSNatives.time(state) }
        guard let run = run(lua) else { return noRun(lua, "os.time") }
        lua.push(run.nowSeconds)
        return 1
    }

    /// `os.date([format [, t]])`: without a time, the workflow clock.
    static let date: LuaNativeFunction = { state in
        let lua = Lua(state!)
        if lua.isNil(at: 2) {
            guard let run = run(lua) else { return noRun(lua, "os.date") }
            lua.top = max(lua.top, 2)
            lua.push(run.nowSeconds)
            lua.replace(at: 2)
        }
        return OSNatives.date(state)
    }

    static let clock: LuaNativeFunction = { state in
        Lua(state!).raise(clockRefused)
    }
}
