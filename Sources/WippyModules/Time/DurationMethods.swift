import WippyCodecs
import WippyLua
import WippyRuntime

/// Methods of Duration objects: whole numbers for ns/µs/ms, fractional numbers for s/min/h.
enum DurationMethods {
    static let all: [(String, LuaNativeFunction)] = [
        ("nanoseconds", nanoseconds), ("microseconds", microseconds), ("milliseconds", milliseconds),
        ("seconds", seconds), ("minutes", minutes), ("hours", hours), ("string", describe),
    ]

    @inline(__always)
    static func withDuration(_ lua: Lua, _ body: (GoDuration) -> Void) -> Int32 {
        guard let duration = LuaDuration.read(lua, at: 1) else { return lua.typeError(1, expected: "Duration") }
        body(duration)
        return 1
    }

    static let nanoseconds: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withDuration(lua) { lua.push($0.nanoseconds) }
    }

    static let microseconds: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withDuration(lua) { lua.push($0.microseconds) }
    }

    static let milliseconds: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withDuration(lua) { lua.push($0.milliseconds) }
    }

    static let seconds: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withDuration(lua) { lua.push($0.seconds) }
    }

    static let minutes: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withDuration(lua) { lua.push($0.minutes) }
    }

    static let hours: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withDuration(lua) { lua.push($0.hours) }
    }

    /// `tostring(d)` and `d:string()`: Go's form, such as `1h30m0s`.
    static let describe: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withDuration(lua) { lua.push($0.description) }
    }

    static func compare(_ lua: Lua, _ body: (GoDuration, GoDuration) -> Bool) -> Int32 {
        guard let a = LuaDuration.read(lua, at: 1), let b = LuaDuration.read(lua, at: 2) else {
            return lua.raise("attempt to compare a Duration with another value")
        }
        lua.push(body(a, b))
        return 1
    }

    /// `d1 == d2` (false against any other value).
    static let equal: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(LuaDuration.read(lua, at: 1) == LuaDuration.read(lua, at: 2))
        return 1
    }

    static let lessThan: LuaNativeFunction = { compare(Lua($0!)) { $0 < $1 } }
    static let lessOrEqual: LuaNativeFunction = { compare(Lua($0!)) { $0 <= $1 } }
}
