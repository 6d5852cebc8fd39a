import WippyCore
import WippyLua
import WippyRuntime

extension Lua {
    /// Sets `table[name] = native` for each pair (`table` is an absolute or relative index).
    func setFunctions(_ functions: [(String, LuaNativeFunction)], in table: Int32) {
        let table = absolute(table)
        for (name, native) in functions {
            push(native: native)
            rawSet(table, key: name)
        }
    }

    /// The "source:line" of the Lua code calling the running native (no trailing ": ").
    func callerLocation() -> String {
        pushWhere(level: 1)
        var location = string(at: -1) ?? ""
        pop()
        if location.hasSuffix(": ") { location.removeLast(2) }
        return location
    }
}

extension LuaWorkerState {
    /// Builds and registers the metatable of a userdata type: `methods` become `__index`, `metamethods` are set
    /// as they are, `__name` is `name`, and `__metatable` is false so Lua code cannot reach or change it.
    func registerType(
        _ tag: UserdataTag, name: String, methods: [(String, LuaNativeFunction)],
        metamethods: [(String, LuaNativeFunction)] = []
    ) {
        let lua = self.lua
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(metamethods.count + 3))
        let meta = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(methods.count))
        lua.setFunctions(methods, in: -1)
        lua.rawSet(meta, key: "__index")
        lua.setFunctions(metamethods, in: meta)
        lua.push(name)
        lua.rawSet(meta, key: "__name")
        lua.push(false)
        lua.rawSet(meta, key: "__metatable")
        registerMetatable(tag, from: lua)
    }

    /// Pushes a new userdata tagged `tag` with its registered metatable; returns its memory.
    func newObject(_ tag: UserdataTag, size: Int = 0, userValues: Int32 = 0, on lua: Lua) -> UnsafeMutableRawPointer {
        let memory = lua.newTaggedUserdata(tag, size: size, userValues: userValues)
        pushMetatable(tag, on: lua)
        lua.setMetatable(-2)
        return memory
    }

    /// Pushes `nil, err` with `error` carrying `context` (outermost last) and returns 2.
    func fail(_ error: WippyError, context: String, on lua: Lua) -> Int32 {
        var error = error
        error.context.append(context)
        return fail(error, on: lua)
    }
}
