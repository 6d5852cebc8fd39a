public import WippyCore
public import WippyLua

/// Payload objects for modules outside the runtime (futures deliver them on their channels).
extension LuaWorkerState {
    /// Pushes a Payload object (what `msg:payload()` returns) holding a fresh Lua copy of `payload`.
    public func pushPayloadObject(for payload: Payload, on lua: Lua) {
        LuaValueConverter.push(payload, on: lua, state: self)
        pushPayloadObject(valueAt: -1, on: lua)
        lua.remove(at: -2)
    }
}
