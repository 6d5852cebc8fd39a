import WippyCodecs
import WippyLua
import WippyRuntime

/// Location userdata (`time.utc`, `time.load_location(...)`, `t:location()`): a ``GoLocation`` stored in the
/// userdata's memory after a one-word "initialised" flag; `__gc` deinitialises it.
enum LuaLocation {
    /// Registry keys of the worker's shared UTC and local Location objects (made on first use): fixed
    /// addresses, so finding them costs no string (`time.now()` pushes the local one every call). Only the
    /// addresses are used, never the byte behind them.
    nonisolated(unsafe) static let utcKey = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))
    nonisolated(unsafe) static let localKey = UnsafeRawPointer(UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 1))

    private static let flagSize = 8
    private static let size = flagSize + MemoryLayout<GoLocation>.stride

    /// Pushes a new Location object for `location`.
    static func push(_ location: GoLocation, state: LuaWorkerState, on lua: Lua) {
        let memory = lua.newTaggedUserdata(ModuleTags.location, size: size)
        (memory + flagSize).initializeMemory(as: GoLocation.self, repeating: location, count: 1)
        memory.storeBytes(of: UInt64(1), as: UInt64.self)
        state.pushMetatable(ModuleTags.location, on: lua)
        lua.setMetatable(-2)
    }

    /// Pushes the worker's shared UTC Location object.
    static func pushUTC(state: LuaWorkerState, on lua: Lua) { pushShared(utcKey, .utc, state: state, on: lua) }

    /// Pushes the worker's shared local Location object.
    static func pushLocal(state: LuaWorkerState, on lua: Lua) { pushShared(localKey, .local, state: state, on: lua) }

    private static func pushShared(_ key: UnsafeRawPointer, _ location: GoLocation, state: LuaWorkerState, on lua: Lua) {
        if lua.rawGet(Lua.registryIndex, pointer: key) == .userdata { return }
        lua.pop()
        push(location, state: state, on: lua)
        lua.pushValue(at: -1)
        lua.rawSet(Lua.registryIndex, pointer: key)
    }

    /// The location of the Location object at `index`.
    static func read(_ lua: Lua, at index: Int32) -> GoLocation? {
        guard let memory = lua.taggedUserdata(at: index, ModuleTags.location),
            memory.load(as: UInt64.self) == 1
        else { return nil }
        return (memory + flagSize).assumingMemoryBound(to: GoLocation.self).pointee
    }

    /// `__gc`: deinitialises the stored location once.
    static let collect: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let memory = lua.taggedUserdata(at: 1, ModuleTags.location), memory.load(as: UInt64.self) == 1
        else { return 0 }
        memory.storeBytes(of: UInt64(0), as: UInt64.self)
        (memory + flagSize).assumingMemoryBound(to: GoLocation.self).deinitialize(count: 1)
        return 0
    }

    /// `loc:string()` and `tostring(loc)`: the zone name.
    static let name: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let location = read(lua, at: 1) else { return lua.typeError(1, expected: "Location") }
        lua.push(location.name)
        return 1
    }
}
