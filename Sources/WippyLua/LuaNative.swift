import CLua

/// A Lua function implemented in Swift.
///
/// It receives the calling thread and returns either the number of results it pushed, or a status made by
/// ``Lua/raise(_:)``, ``Lua/raiseTop()`` or ``Lua/yieldToScheduler()``. It must never raise or yield itself:
/// the C trampoline does that after the Swift frame has returned.
public typealias LuaNativeFunction = @convention(c) (OpaquePointer?) -> Int32

extension Lua {
    /// Pushes `native` as a Lua function, taking `upvalues` values from the top of the stack as its upvalues.
    public func push(native: LuaNativeFunction, upvalues: Int32 = 0) {
        wippy_push_native(pointer, native, upvalues)
    }

    /// The pseudo-index of a native's own upvalue `n` (1-based).
    @inline(__always)
    public static func upvalueIndex(_ n: Int32) -> Int32 { wippy_upvalueindex(n) }

    // MARK: - Statuses a native returns

    /// Raises `message`, prefixed with the position of the calling Lua code (like `error(message)`).
    public func raise(_ message: String) -> Int32 {
        wippy_push_where(pointer, 1)
        push(message)
        lua_concat(pointer, 2)
        return WIPPY_NATIVE_ERROR
    }

    /// Raises the value on top of the stack as it is (an error object, or a prepared message).
    @inline(__always)
    public func raiseTop() -> Int32 { WIPPY_NATIVE_ERROR }

    /// Raises "bad argument #n to 'name' (message)".
    public func argumentError(_ argument: Int32, _ message: String) -> Int32 {
        message.withCString { wippy_push_argerror(pointer, argument, $0) }
        return WIPPY_NATIVE_ERROR
    }

    /// Raises "bad argument #n to 'name' (<expected> expected, got <type>)".
    public func typeError(_ argument: Int32, expected: String) -> Int32 {
        let got = type(at: argument) == .none ? "no value" : typeName(at: argument)
        return argumentError(argument, "\(expected) expected, got \(got)")
    }

    /// Suspends the running task; the scheduler resumes it later with the results of its request as the
    /// native's return values.
    @inline(__always)
    public func yieldToScheduler() -> Int32 { WIPPY_NATIVE_YIELD }

    /// Pushes the "chunk:line: " prefix of the Lua function at call `level` (1 = the caller of the native).
    public func pushWhere(level: Int32 = 1) { wippy_push_where(pointer, level) }

    /// Pushes an array of frames `{level, source, line, name, type}` of the calling Lua code (at most `limit`),
    /// starting at call `level` (1 = the caller of the native).
    public func pushStackFrames(level: Int32 = 1, limit: Int32 = 32) { wippy_push_stack_frames(pointer, level, limit) }

    /// Concatenates the top `count` strings (strings and numbers only: no metamethods).
    public func concatenate(_ count: Int32) { lua_concat(pointer, count) }
}
