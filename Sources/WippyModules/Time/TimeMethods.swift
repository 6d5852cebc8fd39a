import WippyCodecs
import WippyCore
import WippyLua
import WippyRuntime

/// Methods of Time objects. None of them yields; a wrong receiver or argument raises.
enum TimeMethods {
    static let all: [(String, LuaNativeFunction)] = [
        ("add", add), ("sub", sub), ("add_date", addDate), ("before", before), ("after", after), ("equal", equal),
        ("format", format), ("format_rfc3339", formatRFC3339), ("unix", unix), ("unix_nano", unixNano),
        ("date", date), ("clock", clock), ("year", year), ("month", month), ("day", day), ("hour", hour),
        ("minute", minute), ("second", second), ("nanosecond", nanosecond), ("weekday", weekday),
        ("year_day", yearDay), ("is_zero", isZero), ("utc", utc), ("in_local", inLocal),
        ("in_location", inLocation), ("location", location), ("round", round), ("truncate", truncate),
    ]

    static func badReceiver(_ lua: Lua) -> Int32 { lua.typeError(1, expected: "Time") }

    /// Runs `body` with the receiver, or raises when index 1 is not a Time.
    @inline(__always)
    static func withTime(_ lua: Lua, _ body: (GoTime) -> Int32) -> Int32 {
        guard let time = LuaTime.read(lua, at: 1) else { return badReceiver(lua) }
        return body(time)
    }

    /// Pushes one integer computed from the receiver's calendar fields.
    @inline(__always)
    static func component(_ lua: Lua, _ field: (GoTime.Components) -> Int) -> Int32 {
        withTime(lua) { time in
            lua.push(Int64(field(time.components)))
            return 1
        }
    }

    /// Compares the receiver with the Time argument at index 2.
    static func compare(_ lua: Lua, _ body: (GoTime, GoTime) -> Bool) -> Int32 {
        withTime(lua) { time in
            guard let other = LuaTime.read(lua, at: 2) else { return lua.typeError(2, expected: "Time") }
            lua.push(body(time, other))
            return 1
        }
    }

    static let add: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            switch LuaDuration.argument(lua, at: 2) {
            case .failure(let error): return lua.argumentError(2, error.message)
            case .success(let duration):
                LuaTime.push(time.adding(duration), location: .sameAs(1), state: LuaWorkerState.of(lua), on: lua)
                return 1
            }
        }
    }

    /// `t:sub(u)`: instants only (the locations play no part, so none is read).
    static let sub: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (seconds, nanoseconds) = LuaTime.instant(lua, at: 1) else { return badReceiver(lua) }
        guard let (otherSeconds, otherNanoseconds) = LuaTime.instant(lua, at: 2) else { return lua.typeError(2, expected: "Time") }
        let difference = GoTime(seconds: seconds, nanoseconds: Int64(nanoseconds), location: .utc)
            .sub(GoTime(seconds: otherSeconds, nanoseconds: Int64(otherNanoseconds), location: .utc))
        LuaDuration.push(difference, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    static let addDate: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            var values: [Int] = []
            for index in Int32(2)...4 {
                switch lua.integerArgument(index) {
                case .failure(let early): return early.status
                case .success(let value): values.append(Int(value))
                }
            }
            let result = time.addingDate(years: values[0], months: values[1], days: values[2])
            LuaTime.push(result, location: .sameAs(1), state: LuaWorkerState.of(lua), on: lua)
            return 1
        }
    }

    static let before: LuaNativeFunction = { compare(Lua($0!)) { $0.before($1) } }
    static let after: LuaNativeFunction = { compare(Lua($0!)) { $0.after($1) } }
    static let equal: LuaNativeFunction = { compare(Lua($0!)) { $0.equal($1) } }

    static let format: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            guard let layout = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            lua.push(time.format(layout))
            return 1
        }
    }

    static let formatRFC3339: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            lua.push(time.format(GoLayouts.rfc3339))
            return 1
        }
    }

    static let unix: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let instant = LuaTime.instant(lua, at: 1) else { return badReceiver(lua) }
        lua.push(instant.seconds)
        return 1
    }

    static let unixNano: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let instant = LuaTime.instant(lua, at: 1) else { return badReceiver(lua) }
        lua.push(instant.seconds &* 1_000_000_000 &+ Int64(instant.nanoseconds))
        return 1
    }

    static let date: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            let c = time.components
            lua.push(Int64(c.year))
            lua.push(Int64(c.month))
            lua.push(Int64(c.day))
            return 3
        }
    }

    static let clock: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            let c = time.components
            lua.push(Int64(c.hour))
            lua.push(Int64(c.minute))
            lua.push(Int64(c.second))
            return 3
        }
    }

    static let year: LuaNativeFunction = { component(Lua($0!)) { $0.year } }
    static let month: LuaNativeFunction = { component(Lua($0!)) { $0.month } }
    static let day: LuaNativeFunction = { component(Lua($0!)) { $0.day } }
    static let hour: LuaNativeFunction = { component(Lua($0!)) { $0.hour } }
    static let minute: LuaNativeFunction = { component(Lua($0!)) { $0.minute } }
    static let second: LuaNativeFunction = { component(Lua($0!)) { $0.second } }
    static let nanosecond: LuaNativeFunction = { component(Lua($0!)) { $0.nanosecond } }
    static let weekday: LuaNativeFunction = { component(Lua($0!)) { $0.weekday } }
    static let yearDay: LuaNativeFunction = { component(Lua($0!)) { $0.yearDay } }

    static let isZero: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            lua.push(time.isZero)
            return 1
        }
    }

    static let utc: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            LuaTime.push(time.utc(), location: .utc, state: LuaWorkerState.of(lua), on: lua)
            return 1
        }
    }

    static let inLocal: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            LuaTime.push(time.local(), location: .local, state: LuaWorkerState.of(lua), on: lua)
            return 1
        }
    }

    static let inLocation: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            guard let location = LuaLocation.read(lua, at: 2) else { return lua.typeError(2, expected: "Location") }
            LuaTime.push(time.inLocation(location), location: .object(2), state: LuaWorkerState.of(lua), on: lua)
            return 1
        }
    }

    static let location: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard LuaTime.instant(lua, at: 1) != nil else { return badReceiver(lua) }
        lua.getUserValue(1, 1)
        return 1
    }

    /// `round`/`truncate` take a Duration object only (numbers and strings raise).
    static func rounding(_ lua: Lua, _ body: (GoTime, GoDuration) -> GoTime) -> Int32 {
        withTime(lua) { time in
            guard let unit = LuaDuration.read(lua, at: 2) else { return lua.typeError(2, expected: "Duration") }
            LuaTime.push(body(time, unit), location: .sameAs(1), state: LuaWorkerState.of(lua), on: lua)
            return 1
        }
    }

    static let round: LuaNativeFunction = { rounding(Lua($0!)) { $0.rounded(to: $1) } }
    static let truncate: LuaNativeFunction = { rounding(Lua($0!)) { $0.truncated(to: $1) } }

    // MARK: - Metamethods

    /// `tostring(t)`: Go's `Time.String()`.
    static let describe: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTime(lua) { time in
            lua.push(time.description)
            return 1
        }
    }

    /// `t1 == t2`: the same instant.
    static let equalInstants: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let a = LuaTime.instant(lua, at: 1), let b = LuaTime.instant(lua, at: 2) else {
            lua.push(false)
            return 1
        }
        lua.push(a == b)
        return 1
    }

    /// `t1 < t2`.
    static let lessThan: LuaNativeFunction = { compare(Lua($0!)) { $0.before($1) } }
    /// `t1 <= t2`.
    static let lessOrEqual: LuaNativeFunction = { compare(Lua($0!)) { !$0.after($1) } }
}
