import WippyCodecs
import WippyCore
import WippyLua

/// `os.time`, `os.date` and `os.clock` with Wippy's (Go's) semantics: `os.time{}` defaults hour, minute and
/// second to 0; `os.date` formats with Go's calendar and zones; `os.clock` is wall-clock seconds since the
/// runtime started (not CPU time).
enum OSNatives {
    /// When the runtime started (first touched when the first worker builds its sandbox).
    static let start = MonotonicClock.now()

    static let clock: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let origin = start  // read before `now`: the first read initializes it
        lua.push(Double(MonotonicClock.now() &- origin) / 1e9)
        return 1
    }

    static let time: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch lua.type(at: 1) {
        case .none, .nil:
            lua.push(GoTime.now().seconds)
            return 1
        case .table:
            var fields = DateFields()
            for (key, path) in [("year", \DateFields.year), ("month", \.month), ("day", \.day), ("hour", \.hour), ("min", \.min), ("sec", \.sec)]
                as [(String, WritableKeyPath<DateFields, Int?>)]
            {
                let type = lua.rawGet(1, key: key)
                defer { lua.pop() }
                switch type {
                case .nil: continue
                case .number:
                    guard let value = lua.integer(at: -1) ?? lua.number(at: -1).map({ Int64($0) }) else { continue }
                    fields[keyPath: path] = Int(clamping: value)
                case .string:
                    guard let text = lua.string(at: -1), let value = Int(text) else {
                        return lua.raise("field '\(key)' is not an integer")
                    }
                    fields[keyPath: path] = value
                default:
                    return lua.raise("field '\(key)' is not an integer")
                }
            }
            lua.push(OSDate.time(from: fields))
            return 1
        default:
            return lua.typeError(1, expected: "table")
        }
    }

    /// The longest `os.date` format accepted (real formats are a few dozen bytes).
    static let maximumFormatLength = 65536

    static let date: LuaNativeFunction = { state in
        let lua = Lua(state!)
        var format = "%c"
        if !lua.isNil(at: 1) {
            guard let text = lua.stringCoercing(at: 1) else { return lua.typeError(1, expected: "string") }
            // Each directive can expand to a few dozen bytes: a format of megabytes would hold the worker
            // (and build gigabytes) in one call.
            guard text.utf8.count <= maximumFormatLength else {
                return lua.argumentError(1, "format too long (\(text.utf8.count) bytes, at most \(maximumFormatLength))")
            }
            format = text
        }
        var seconds = GoTime.now().seconds
        if !lua.isNil(at: 2) {
            guard let value = lua.integer(at: 2) ?? lua.number(at: 2).map({ Int64($0) }) else {
                return lua.typeError(2, expected: "number")
            }
            seconds = value
        }
        switch OSDate.date(format, unixSeconds: seconds) {
        case .string(let text):
            lua.push(text)
        case .table(let t):
            lua.newTable(arrayCapacity: 0, fieldCapacity: 9)
            for (key, value) in [("year", t.year), ("month", t.month), ("day", t.day), ("hour", t.hour), ("min", t.min), ("sec", t.sec), ("wday", t.wday), ("yday", t.yday)] {
                lua.push(Int64(value))
                lua.rawSet(-2, key: key)
            }
            lua.push(t.isdst)
            lua.rawSet(-2, key: "isdst")
        }
        return 1
    }
}
