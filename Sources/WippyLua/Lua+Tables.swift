import CLua

/// Raw table, metatable and userdata access (no metamethods, nothing that raises).
extension Lua {
    public func newTable(arrayCapacity: Int32 = 0, fieldCapacity: Int32 = 0) {
        lua_createtable(pointer, arrayCapacity, fieldCapacity)
    }

    /// Pushes `t[key]` for the table at `table`.
    @discardableResult
    public func rawGet(_ table: Int32, key: String) -> LuaType {
        let t = absolute(table)
        push(key)
        return LuaType(rawValue: lua_rawget(pointer, t)) ?? .none
    }

    /// Pushes `t[key]` for a light-userdata key (a fixed address: no string to make or hash).
    @discardableResult
    public func rawGet(_ table: Int32, pointer key: UnsafeRawPointer) -> LuaType {
        LuaType(rawValue: lua_rawgetp(pointer, table, key)) ?? .none
    }

    /// `t[key] = v` for a light-userdata key, the value on top of the stack (popped).
    public func rawSet(_ table: Int32, pointer key: UnsafeRawPointer) { lua_rawsetp(pointer, table, key) }

    /// Pushes `t[k]` where the key is on top of the stack (replaced by the value).
    @discardableResult
    public func rawGet(_ table: Int32) -> LuaType {
        LuaType(rawValue: lua_rawget(pointer, table)) ?? .none
    }

    @discardableResult
    public func rawGet(_ table: Int32, index: Int64) -> LuaType {
        LuaType(rawValue: lua_rawgeti(pointer, table, lua_Integer(index))) ?? .none
    }

    /// `t[key] = top`, popping the value.
    public func rawSet(_ table: Int32, key: String) {
        let t = absolute(table)
        push(key)
        insert(at: -2)
        lua_rawset(pointer, t)
    }

    /// `t[k] = v` with key and value on top (key below value); pops both. The key must not be nil or NaN.
    public func rawSet(_ table: Int32) { lua_rawset(pointer, table) }

    /// `t[index] = top`, popping the value.
    public func rawSet(_ table: Int32, index: Int64) { lua_rawseti(pointer, table, lua_Integer(index)) }

    /// Table traversal: pops a key, pushes the next key and value; false at the end.
    public func next(_ table: Int32) -> Bool { lua_next(pointer, table) != 0 }

    /// `target[k] = v` for every pair of `source`, raw on both sides (a shallow copy into `target`). Both are
    /// absolute indices; the stack is left as it was.
    public func rawCopyFields(from source: Int32, to target: Int32) {
        pushNil()
        while next(source) {
            pushValue(at: -2)
            insert(at: -2)
            rawSet(target)
        }
    }

    /// Sets the metatable of the value at `index` to the table on top (popped).
    public func setMetatable(_ index: Int32) { lua_setmetatable(pointer, index) }

    /// Pushes the metatable of the value at `index`; false (nothing pushed) when it has none.
    @discardableResult
    public func getMetatable(_ index: Int32) -> Bool { lua_getmetatable(pointer, index) != 0 }

    /// Pushes a table from the registry stored under `name`, creating it when missing; returns true if created.
    @discardableResult
    public func registryTable(_ name: String) -> Bool {
        let registry = wippy_registryindex()
        if rawGet(registry, key: name) == .table { return false }
        pop()
        newTable()
        pushValue(at: -1)
        rawSet(registry, key: name)
        return true
    }

    /// The registry pseudo-index.
    public static var registryIndex: Int32 { wippy_registryindex() }

    // MARK: - Userdata

    /// Pushes a new full userdata of `size` bytes with `userValues` user values; returns its memory.
    public func newUserdata(size: Int, userValues: Int32 = 0) -> UnsafeMutableRawPointer {
        lua_newuserdatauv(pointer, size, userValues)!
    }

    /// Pushes user value `n` of the userdata at `index`; returns its type (`.none` when absent).
    @discardableResult
    public func getUserValue(_ index: Int32, _ n: Int32) -> LuaType {
        LuaType(rawValue: lua_getiuservalue(pointer, index, n)) ?? .none
    }

    /// Pops the top value into user value `n` of the userdata at `index`.
    @discardableResult
    public func setUserValue(_ index: Int32, _ n: Int32) -> Bool { lua_setiuservalue(pointer, index, n) != 0 }

    /// True if the value at `index` has exactly the metatable at `metatable`.
    public func hasMetatable(_ index: Int32, equalTo metatable: Int32) -> Bool {
        let mt = absolute(metatable)
        guard getMetatable(index) else { return false }
        defer { pop() }
        return rawEqual(-1, mt)
    }

    // MARK: - References

    /// Pops the top value and stores it in the registry, returning its reference.
    public func ref() -> LuaRef { LuaRef(raw: luaL_ref(pointer, wippy_registryindex())) }

    public func unref(_ ref: LuaRef) {
        if ref.raw > 0 { luaL_unref(pointer, wippy_registryindex(), ref.raw) }
    }

    @discardableResult
    public func push(_ ref: LuaRef) -> LuaType {
        LuaType(rawValue: lua_rawgeti(pointer, wippy_registryindex(), lua_Integer(ref.raw))) ?? .none
    }
}

/// A value kept alive in the registry.
public struct LuaRef: Hashable, Sendable {
    public var raw: Int32
    public init(raw: Int32) { self.raw = raw }
    public static let none = LuaRef(raw: -2)
    public var isValid: Bool { raw > 0 }
}

extension Lua {
    /// `source:line` of the function `level` frames up (1: the Lua code that called the running native), or
    /// "" when there is none.
    public func `where`(level: Int32) -> String {
        luaL_where(pointer, level)
        defer { pop() }
        var text = string(at: -1) ?? ""
        if text.hasSuffix(": ") { text.removeLast(2) }
        return text
    }
}
