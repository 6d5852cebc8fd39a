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
    /// are the top `results` values; on an error the error value is on top. While it runs, it is the thread a
    /// doom or memory check applies to, and allocations made by Lua and C code alone may fail (see
    /// ``LuaMemory``).
    public func resume(from: Lua?, arguments: Int32) -> (status: LuaStatus, results: Int32) {
        var results: Int32 = 0
        let status = wippy_resume(pointer, from?.pointer, arguments, &results)
        return (LuaStatus(rawValue: status) ?? .runtimeError, results)
    }

    /// ``resumeTask(arguments:)``'s status for a system yield (a native's: its marker is already popped).
    public static let systemYieldStatus = Int32(WIPPY_SYSTEM_YIELD)

    /// ``resume(from:arguments:)`` of a task's thread, from no other thread, that also tells a system yield
    /// apart: the status is Lua's (``LuaStatus``) or ``systemYieldStatus``, with no results left. One C call
    /// where the scheduler made three (resume, the marker test, the pop) on every resume.
    @inline(__always)
    public func resumeTask(arguments: Int32) -> (status: Int32, results: Int32) {
        var results: Int32 = 0
        let status = wippy_resume_task(pointer, arguments, &results)
        return (status, results)
    }

    /// True when the thread's last yield (with `results` values) was a system yield made by a native.
    public func isSystemYield(results: Int32) -> Bool { wippy_is_system_yield(pointer, results) != 0 }

    /// Moves the top `count` values of this thread onto `other` (same Lua state).
    @inline(__always)
    public func move(_ count: Int32, to other: Lua) { lua_xmove(pointer, other.pointer, count) }

    /// Resets a dead or suspended thread so its stack can be collected; returns its final status.
    @discardableResult
    public func reset() -> LuaStatus { LuaStatus(rawValue: lua_resetthread(pointer)) ?? .runtimeError }

    /// The pointer kept in this thread's extra space (copied into threads it creates). Setting it clears the
    /// task-thread mark.
    public var extraSpace: UnsafeMutableRawPointer? {
        @inline(__always) get {
            let raw = wippy_getextraspace(pointer).load(as: UInt.self) & ~UInt(WIPPY_TASK_TAG)
            return UnsafeMutableRawPointer(bitPattern: raw)
        }
        nonmutating set { wippy_getextraspace(pointer).storeBytes(of: newValue, as: UnsafeMutableRawPointer?.self) }
    }

    /// Makes this a scheduler task thread holding `pointer` (2-aligned) in its extra space:
    /// `coroutine.resume` and `coroutine.wrap` refuse to run it.
    public func markAsTaskThread(_ pointer: UnsafeMutableRawPointer) {
        wippy_getextraspace(self.pointer).storeBytes(of: UInt(bitPattern: pointer) | UInt(WIPPY_TASK_TAG), as: UInt.self)
    }

    /// True for a thread marked with ``markAsTaskThread(_:)``.
    public var isTaskThread: Bool { wippy_getextraspace(pointer).load(as: UInt.self) & UInt(WIPPY_TASK_TAG) != 0 }

    /// True when the running function may yield.
    public var isYieldable: Bool { lua_isyieldable(pointer) != 0 }
}
