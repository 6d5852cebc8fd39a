import WippyLua
import WippyRuntime

/// Userdata that hold one retained Swift object (timers, futures): the object pointer is the userdata's only
/// memory, and the type's `__gc` releases it.
enum RetainedObject {
    /// Pushes a userdata tagged `tag` (with its metatable) that retains `object`.
    static func push<Object: AnyObject>(
        _ object: Object, tag: UserdataTag, userValues: Int32, state: LuaWorkerState, on lua: Lua
    ) {
        let memory = state.newObject(tag, size: MemoryLayout<UnsafeMutableRawPointer?>.size, userValues: userValues, on: lua)
        memory.storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer?.self)
    }

    /// The object of the userdata at `index`, if it carries `tag` and was not collected.
    static func object<Object: AnyObject>(at index: Int32, tag: UserdataTag, in lua: Lua, as type: Object.Type) -> Object? {
        guard let memory = lua.taggedUserdata(at: index, tag),
            let raw = memory.load(as: UnsafeMutableRawPointer?.self)
        else { return nil }
        return Unmanaged<Object>.fromOpaque(raw).takeUnretainedValue()
    }

    /// `__gc` body: releases the object of the userdata at index 1 (once).
    static func release<Object: AnyObject>(_ lua: Lua, tag: UserdataTag, as type: Object.Type) -> Int32 {
        guard let memory = lua.taggedUserdata(at: 1, tag), let raw = memory.load(as: UnsafeMutableRawPointer?.self)
        else { return 0 }
        memory.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        Unmanaged<Object>.fromOpaque(raw).release()
        return 0
    }
}
