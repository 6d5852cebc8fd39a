import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// Reading the arguments of Store methods: keys, values, TTLs and option tables, as Swift values (the work
/// may run on another thread).
enum StoreArguments {
    /// A key: a non-empty string.
    static func key(_ lua: Lua, at index: Int32) throws(WippyError) -> String {
        guard lua.type(at: index) == .string, let key = lua.string(at: index) else {
            throw WippyError.invalid("store key must be a string (got \(lua.typeName(at: index)))")
        }
        guard !key.isEmpty else { throw WippyError.invalid("store key must not be empty") }
        return key
    }

    /// A value: plain data (nil is refused).
    static func value(_ lua: Lua, at index: Int32, state: LuaWorkerState) throws(WippyError) -> Payload {
        if lua.type(at: index) == .nil || lua.type(at: index) == .none { throw WippyError.invalid("store value must not be nil") }
        do throws(UnsendableValue) {
            return try LuaValueConverter.export(at: index, in: lua, state: state)
        } catch {
            throw error.error(action: "store", root: "value")
        }
    }

    /// Seconds to live: absent/nil for none; a number otherwise.
    static func ttl(_ lua: Lua, at index: Int32) throws(WippyError) -> Double? {
        switch lua.type(at: index) {
        case .nil, .none: return nil
        case .number: return lua.number(at: index)
        default: throw WippyError.invalid("ttl must be a number of seconds (got \(lua.typeName(at: index)))")
        }
    }

    /// `{ttl=, only_if_absent=, if_version=}` for `put`.
    static func putOptions(_ lua: Lua, at index: Int32) throws(WippyError) -> StorePutOptions {
        var options = StorePutOptions()
        switch lua.type(at: index) {
        case .nil, .none: return options
        case .table: break
        default: throw WippyError.invalid("put options must be a table (got \(lua.typeName(at: index)))")
        }
        let table = lua.absolute(index)
        if lua.rawGet(table, key: "ttl") != .nil {
            guard let ttl = lua.number(at: -1), lua.type(at: -1) == .number else {
                lua.pop()
                throw WippyError.invalid("put option 'ttl' must be a number of seconds")
            }
            guard ttl >= 0 else {
                lua.pop()
                throw WippyError.invalid("put option 'ttl' must not be negative")
            }
            options.ttl = ttl
        }
        lua.pop()
        if lua.rawGet(table, key: "only_if_absent") != .nil { options.onlyIfAbsent = lua.bool(at: -1) }
        lua.pop()
        let versionType = lua.rawGet(table, key: "if_version")
        defer { lua.pop() }
        switch versionType {
        case .nil: break
        case .number:
            guard let number = lua.integer(at: -1), number > 0 else {
                throw WippyError.invalid("put option 'if_version' must be a version string or an integer > 0")
            }
            options.ifVersion = UInt64(number)
        case .string:
            guard let text = lua.string(at: -1), let number = UInt64(text), number > 0 else {
                throw WippyError.invalid("put option 'if_version' must be a version string or an integer > 0")
            }
            options.ifVersion = number
        default:
            throw WippyError.invalid("put option 'if_version' must be a version string or an integer > 0")
        }
        if options.onlyIfAbsent && options.ifVersion != nil {
            throw WippyError.invalid("put options 'only_if_absent' and 'if_version' cannot be used together")
        }
        return options
    }

    /// `{prefix=, after=, limit=}` for `list`.
    static func listOptions(_ lua: Lua, at index: Int32) throws(WippyError) -> (prefix: String, after: String, limit: Int) {
        switch lua.type(at: index) {
        case .nil, .none: return ("", "", 0)
        case .table: break
        default: throw WippyError.invalid("list options must be a table (got \(lua.typeName(at: index)))")
        }
        let table = lua.absolute(index)
        func text(_ key: String) throws(WippyError) -> String {
            defer { lua.pop() }
            switch lua.rawGet(table, key: key) {
            case .nil: return ""
            case .string: return lua.string(at: -1) ?? ""
            default: throw WippyError.invalid("list option '\(key)' must be a string")
            }
        }
        let prefix = try text("prefix")
        let after = try text("after")
        defer { lua.pop() }
        switch lua.rawGet(table, key: "limit") {
        case .nil: return (prefix, after, 0)
        case .number:
            guard let limit = lua.integer(at: -1), limit >= 0 else {
                throw WippyError.invalid("list option 'limit' must be a non-negative integer")
            }
            return (prefix, after, Int(limit))
        default: throw WippyError.invalid("list option 'limit' must be a non-negative integer")
        }
    }
}
