import CLua

/// A view of one Lua thread's stack: the handle natives and runtime code use to talk to Lua.
///
/// `Lua` is a plain pointer wrapper (no ownership); the ``LuaState`` that created the thread must outlive it,
/// and only the thread that owns that state may use it. Every operation here is *raise-free*: it never
/// calls a metamethod and never raises a Lua error (allocation failures abort the program instead), so it is
/// safe to call from Swift frames. Operations that can run arbitrary Lua code are only offered as protected
/// calls that return a status.
public struct Lua {
    public let pointer: OpaquePointer

    @inline(__always)
    public init(_ pointer: OpaquePointer) { self.pointer = pointer }

    // MARK: - Stack

    /// Number of values on the stack (the index of the top value).
    @inline(__always)
    public var top: Int32 {
        get { lua_gettop(pointer) }
        nonmutating set { lua_settop(pointer, newValue) }
    }

    @inline(__always)
    public func pop(_ count: Int32 = 1) { lua_settop(pointer, -count - 1) }

    /// Converts a relative (negative) index into an absolute one.
    @inline(__always)
    public func absolute(_ index: Int32) -> Int32 { lua_absindex(pointer, index) }

    /// Makes sure there is room for `count` more values (grows the stack; false when impossible).
    @discardableResult
    public func ensureStack(_ count: Int32) -> Bool { lua_checkstack(pointer, count) != 0 }

    public func insert(at index: Int32) { wippy_insert(pointer, index) }
    public func remove(at index: Int32) { wippy_remove(pointer, index) }
    public func replace(at index: Int32) { wippy_replace(pointer, index) }

    // MARK: - Types

    @inline(__always)
    public func type(at index: Int32) -> LuaType { LuaType(rawValue: lua_type(pointer, index)) ?? .none }

    @inline(__always)
    public func isNil(at index: Int32) -> Bool { lua_type(pointer, index) <= 0 }

    public func isInteger(at index: Int32) -> Bool { lua_isinteger(pointer, index) != 0 }

    /// Name of the type of the value at `index`, as `type()` reports it.
    public func typeName(at index: Int32) -> String { type(at: index).name }

    // MARK: - Push

    @inline(__always) public func pushNil() { lua_pushnil(pointer) }
    @inline(__always) public func push(_ value: Bool) { lua_pushboolean(pointer, value ? 1 : 0) }
    @inline(__always) public func push(_ value: Int64) { lua_pushinteger(pointer, lua_Integer(value)) }
    @inline(__always) public func push(_ value: Int) { lua_pushinteger(pointer, lua_Integer(value)) }
    @inline(__always) public func push(_ value: Double) { lua_pushnumber(pointer, value) }

    public func push(_ value: String) {
        var value = value
        value.withUTF8 { buffer in
            _ = lua_pushlstring(pointer, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buffer.count)
        }
    }

    public func push(bytes: UnsafeRawBufferPointer) {
        _ = lua_pushlstring(pointer, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count)
    }

    public func push(bytes: [UInt8]) {
        bytes.withUnsafeBytes { push(bytes: $0) }
    }

    /// Pushes a copy of the value at `index`.
    @inline(__always)
    public func pushValue(at index: Int32) { lua_pushvalue(pointer, index) }

    public func push(lightUserdata: UnsafeMutableRawPointer?) { lua_pushlightuserdata(pointer, lightUserdata) }

    // MARK: - Read

    /// The integer at `index`, if it is an integer or a float with an exact integer value (no string coercion).
    public func integer(at index: Int32) -> Int64? {
        guard lua_type(pointer, index) == LUA_TNUMBER else { return nil }
        var ok: Int32 = 0
        let value = wippy_tointegerx(pointer, index, &ok)
        return ok != 0 ? Int64(value) : nil
    }

    /// The number at `index` (integers converted), without string coercion.
    public func number(at index: Int32) -> Double? {
        guard lua_type(pointer, index) == LUA_TNUMBER else { return nil }
        return wippy_tonumberx(pointer, index, nil)
    }

    @inline(__always)
    public func bool(at index: Int32) -> Bool { lua_toboolean(pointer, index) != 0 }

    /// The bytes of the string at `index` (strings only: numbers are not converted).
    public func withBytes<R>(at index: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard lua_type(pointer, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let data = wippy_tolstring(pointer, index, &length) else { return nil }
        return body(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// The string at `index`, decoded as UTF-8 (invalid sequences repaired). Strings only.
    public func string(at index: Int32) -> String? {
        withBytes(at: index) { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes of the string at `index`. Strings only.
    public func bytes(at index: Int32) -> [UInt8]? {
        withBytes(at: index) { Array($0) }
    }

    /// The string at `index`, also accepting numbers (formatted as Lua does, without changing the slot).
    public func stringCoercing(at index: Int32) -> String? {
        switch type(at: index) {
        case .string: return string(at: index)
        case .number:
            lua_pushvalue(pointer, index)
            defer { pop() }
            var length = 0
            guard let data = wippy_tolstring(pointer, -1, &length) else { return nil }
            return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
        default: return nil
        }
    }

    /// Converts a number at `index` to a string in place (Lua's coercion); returns false for other types.
    @discardableResult
    public func coerceToString(at index: Int32) -> Bool {
        guard type(at: index) == .number else { return type(at: index) == .string }
        var length = 0
        return wippy_tolstring(pointer, index, &length) != nil
    }

    public func userdata(at index: Int32) -> UnsafeMutableRawPointer? { lua_touserdata(pointer, index) }

    /// Raw identity of a reference value (table, function, thread, userdata), for identity maps.
    public func identity(at index: Int32) -> UnsafeRawPointer? { lua_topointer(pointer, index) }

    public func rawEqual(_ a: Int32, _ b: Int32) -> Bool { lua_rawequal(pointer, a, b) != 0 }

    /// Length of a string, or the border of a table, without metamethods.
    public func rawLength(at index: Int32) -> Int { Int(lua_rawlen(pointer, index)) }
}
