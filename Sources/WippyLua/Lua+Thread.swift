import CLua

/// Threads (coroutines): creation, resumption and the per-thread extra space.
extension Lua {
    /// Pushes a new thread and returns a view of it. It inherits this thread's hook and extra space (Lua itself
    /// would copy the main thread's extra space).
    public func newThread() -> Lua {
        let thread = Lua(lua_newthread(pointer)!)
        thread.extraSpace = extraSpace
        return thread
    }

    /// The thread at `index`, if the value there is one.
    public func thread(at index: Int32) -> Lua? { lua_tothread(pointer, index).map(Lua.init) }

    /// Pushes this thread onto its own stack.
    public func pushSelf() { _ = lua_pushthread(pointer) }

    /// Status of this thread (`.ok` also for a thread not yet started or finished, `.yield` when suspended).
    public var status: LuaStatus { LuaStatus(rawValue: lua_status(pointer)) ?? .runtimeError }

    /// Resumes this thread with the top `arguments` values of its stack. On `.ok` or `.yield` the results
    /// are the top `results` values; on an error the error value is on top.
    public func resume(from: Lua?, arguments: Int32) -> (status: LuaStatus, results: Int32) {
        var results: Int32 = 0
        let status = lua_resume(pointer, from?.pointer, arguments, &results)
        return (LuaStatus(rawValue: status) ?? .runtimeError, results)
    }

    /// True when the thread's last yield (with `results` values) was a system yield made by a native.
    public func isSystemYield(results: Int32) -> Bool { wippy_is_system_yield(pointer, results) != 0 }

    /// Moves the top `count` values of this thread onto `other` (same Lua state).
    @inline(__always)
    public func move(_ count: Int32, to other: Lua) { lua_xmove(pointer, other.pointer, count) }

    /// Resets a dead or suspended thread so its stack can be collected; returns its final status.
    @discardableResult
    public func reset() -> LuaStatus { LuaStatus(rawValue: lua_resetthread(pointer)) ?? .runtimeError }

    /// The pointer-sized raw memory area of this thread (copied into threads it creates).
    public var extraSpace: UnsafeMutableRawPointer? {
        get { wippy_getextraspace(pointer).load(as: UnsafeMutableRawPointer?.self) }
        nonmutating set { wippy_getextraspace(pointer).storeBytes(of: newValue, as: UnsafeMutableRawPointer?.self) }
    }

    /// True when the running function may yield.
    public var isYieldable: Bool { lua_isyieldable(pointer) != 0 }
}
