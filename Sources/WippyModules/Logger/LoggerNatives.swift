import Logging
import WippyLua
import WippyRuntime

/// Methods of logger objects. A logger is immutable: user value 1 holds its persistent fields (a table that is
/// never changed), user value 2 its dotted name.
enum LoggerNatives {
    static let methods: [(String, LuaNativeFunction)] = [
        ("debug", debug), ("info", info), ("warn", warn), ("error", error), ("with", with), ("named", named),
    ]

    /// Pushes a logger with the fields table at `fields` and the name at `name` (0 for none).
    static func push(fields: Int32, name: Int32, state: LuaWorkerState, on lua: Lua) {
        _ = state.newObject(ModuleTags.logger, userValues: 2, on: lua)
        for (slot, index) in [(Int32(1), fields), (2, name)] where index != 0 {
            lua.pushValue(at: index)
            lua.setUserValue(-2, slot)
        }
    }

    /// Writes one record: the message at index 2, the logger's fields, the call's fields (index 3) over them,
    /// the logger's name as `logger`, and the runtime's `pid` and `location`.
    static func log(_ lua: Lua, _ level: Logger.Level) -> Int32 {
        guard lua.taggedUserdata(at: 1, ModuleTags.logger) != nil else { return lua.typeError(1, expected: "logger") }
        guard lua.type(at: 2) == .string || lua.type(at: 2) == .number, let message = lua.stringCoercing(at: 2) else {
            return lua.typeError(2, expected: "string")
        }
        let hasFields = lua.type(at: 3) == .table
        if !hasFields && !lua.isNil(at: 3) { return lua.typeError(3, expected: "table") }
        let state = LuaWorkerState.of(lua)
        var metadata: Logger.Metadata = [:]
        if lua.getUserValue(1, 1) == .table { LogFieldConverter.merge(tableAt: -1, into: &metadata, lua: lua, state: state) }
        if lua.getUserValue(1, 2) == .string, let name = lua.string(at: -1) { metadata["logger"] = .string(name) }
        lua.pop(2)
        if hasFields { LogFieldConverter.merge(tableAt: 3, into: &metadata, lua: lua, state: state) }
        let process = LuaProcess.current(lua)
        state.runtime.log(level, message, pid: process?.pid, location: lua.callerLocation(), fields: metadata)
        return 0
    }

    static let debug: LuaNativeFunction = { log(Lua($0!), .debug) }
    static let info: LuaNativeFunction = { log(Lua($0!), .info) }
    static let warn: LuaNativeFunction = { log(Lua($0!), .warning) }
    static let error: LuaNativeFunction = { log(Lua($0!), .error) }

    /// `logger:with(fields)`: a child logger whose fields are this logger's with `fields` laid over them.
    static let with: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.logger) != nil else { return lua.typeError(1, expected: "logger") }
        guard lua.type(at: 2) == .table else { return lua.typeError(2, expected: "table") }
        lua.top = 2
        lua.newTable()
        if lua.getUserValue(1, 1) == .table { lua.rawCopyFields(from: 4, to: 3) }
        lua.rawCopyFields(from: 2, to: 3)
        lua.getUserValue(1, 2)
        push(fields: 3, name: lua.isNil(at: 5) ? 0 : 5, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    /// `logger:named(name)`: a child logger whose name is this one's plus `.name`; an empty name raises.
    static let named: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.logger) != nil else { return lua.typeError(1, expected: "logger") }
        guard let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        if name.isEmpty { return lua.argumentError(2, "name cannot be empty") }
        lua.top = 2
        var full = name
        if lua.getUserValue(1, 2) == .string, let parent = lua.string(at: -1), !parent.isEmpty { full = parent + "." + name }
        lua.push(full)
        lua.getUserValue(1, 1)
        push(fields: lua.isNil(at: 5) ? 0 : 5, name: 4, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }
}
