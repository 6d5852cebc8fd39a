import CLua

/// Access to the state's global table and to the coroutine functions that pass system yields through.
extension Lua {
    /// Pushes the global table of the state (the one the standard libraries were opened into).
    public func pushGlobals() {
        lua_rawgeti(pointer, wippy_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
    }

    /// Pushes the environment (`_ENV`) seen by Lua code on this thread's stack: the innermost active local or
    /// upvalue named `_ENV` of the nearest frame, from call `level` outward (1: the caller of the running
    /// native), that has one. Returns that frame's level, or nil, pushing nothing, when none has one.
    public func pushCallerEnvironment(from level: Int32 = 1) -> Int32? {
        let found = wippy_push_caller_env(pointer, level)
        return found > 0 ? found : nil
    }

    /// Pushes `coroutine.resume` that passes system yields and preemption of inner coroutines outward.
    public func pushCoroutineResume() { lua_pushcclosure(pointer, wippy_co_resume, 0) }

    /// Pushes `coroutine.wrap` with the same behaviour.
    public func pushCoroutineWrap() { lua_pushcclosure(pointer, wippy_co_wrap, 0) }

    /// Pushes `coroutine.create` whose threads inherit the creator's extra space.
    public func pushCoroutineCreate() { lua_pushcclosure(pointer, wippy_co_create, 0) }

    /// Pushes `coroutine.status` that reports a coroutine parked on a system yield as "normal".
    public func pushCoroutineStatus() { lua_pushcclosure(pointer, wippy_co_status, 0) }

    /// Pushes the C function of `msg:topic()` (`which` 1) or `msg:from()` (2) for message userdata tagged `tag`:
    /// they run on every received message, so they skip the Swift trampoline.
    public func pushMessageAccessor(_ which: Int32, tag: UInt32) { wippy_push_message_accessor(pointer, which, tag) }

    /// Pushes the C function behind the translator's `__wippy_topic(msg, what)` (1) or `__wippy_from(msg, what)`
    /// (2): the accessor, raising Lua's own "attempt to index" error for a value that is not a message.
    public func pushMessageFunction(_ which: Int32, tag: UInt32) { wippy_push_message_function(pointer, which, tag) }

    /// The block of the full userdata at `index` if its first four bytes are `tag` (header included), else nil.
    @inline(__always)
    public func taggedBlock(at index: Int32, tag: UInt32) -> UnsafeMutableRawPointer? { wippy_tagged_block(pointer, index, tag) }

    /// Pushes a function returning `a < b` as the VM compares (table.sort's default order).
    public func pushLessThan() { wippy_push_less_than(pointer) }

    /// Registers the metatable on top of the stack (popped) as the one of string-like userdata: userdata whose
    /// first user value is its text. The string library takes such a value where it wants a string.
    public func setStringLikeMetatable() { wippy_set_string_like_metatable(pointer) }
}
