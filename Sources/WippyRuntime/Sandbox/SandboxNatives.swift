import Logging
import WippyLua
#if canImport(Glibc)
import Glibc
#endif

/// Natives of the shared sandbox: guarded `rawset`, read-only proxies, `require`, `print`, Lua 5.1 leftovers.
enum SandboxNatives {
    /// `rawset(t, k, v)`, refusing read-only tables (library proxies, frozen tables).
    static let rawset: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        if lua.type(at: 2) == .none { return lua.argumentError(2, "value expected") }
        if lua.type(at: 3) == .none { return lua.argumentError(3, "value expected") }
        lua.pushValue(at: Lua.upvalueIndex(1))
        lua.pushValue(at: 1)
        let readOnly = lua.rawGet(-2) != .nil
        lua.pop(2)
        if readOnly { return lua.raise("attempt to modify a read-only table") }
        if lua.isNil(at: 2) { return lua.raise("index is nil") }
        if let key = lua.number(at: 2), key.isNaN { return lua.raise("index is NaN") }
        lua.top = 3
        lua.rawSet(1)
        lua.top = 1
        return 1
    }

    /// `setmetatable(t, mt)` as Lua's, refusing metatables with `__gc` (Wippy runs no finalizers; in a shared
    /// state a finalizer would run as whichever process triggered the collection).
    static let setmetatable: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        let metaType = lua.type(at: 2)
        guard metaType == .nil || metaType == .table else { return lua.typeError(2, expected: "nil or table") }
        if lua.getMetatable(1) {
            let protected = lua.rawGet(-1, key: "__metatable") != .nil
            lua.pop(2)
            if protected { return lua.raise("cannot change a protected metatable") }
        }
        if metaType == .table {
            let hasFinalizer = lua.rawGet(2, key: "__gc") != .nil
            lua.pop()
            if hasFinalizer { return lua.raise("__gc metamethods are not supported") }
        }
        lua.top = 2
        lua.setMetatable(1)
        return 1
    }

    /// `rawget(t, k)`, reading a frozen table's contents.
    static let rawget: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        if lua.type(at: 2) == .none { return lua.argumentError(2, "value expected") }
        lua.top = 2
        if LuaWorkerState.of(lua).pushReadOnlyContents(of: 1, on: lua) { lua.replace(at: 1) }
        lua.pushValue(at: 2)
        lua.rawGet(1)
        return 1
    }

    /// `next(t, k)`, iterating a frozen table's contents. Lua's own `next` is upvalue 1: a key whose value was
    /// cleared during the traversal is still valid to Lua, and only Lua can tell it from an invalid key, so
    /// that case goes through it in protected mode (the raw `lua_next` would raise through this frame).
    static let next: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        lua.top = 2
        if LuaWorkerState.of(lua).pushReadOnlyContents(of: 1, on: lua) { lua.replace(at: 1) }
        if !lua.isNil(at: 2) {
            lua.pushValue(at: 2)
            let present = lua.rawGet(1) != .nil
            lua.pop()
            if !present {
                lua.pushValue(at: Lua.upvalueIndex(1))
                lua.pushValue(at: 1)
                lua.pushValue(at: 2)
                if let error = lua.protectedCall(arguments: 2, results: 2) {
                    lua.push(error.message)
                    return lua.raiseTop()
                }
                return 2
            }
        }
        lua.pushValue(at: 2)
        if lua.next(1) { return 2 }
        lua.pushNil()
        return 1
    }

    static let readOnlyWrite: LuaNativeFunction = { state in
        Lua(state!).raise("attempt to modify a read-only table")
    }

    /// `__pairs` of a read-only proxy: an iterator over the real table (upvalue 1) that never hands the real
    /// table itself to Lua code.
    static let readOnlyPairs: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.pushValue(at: Lua.upvalueIndex(1))
        lua.push(native: readOnlyNext, upvalues: 1)
        lua.pushValue(at: 1)
        lua.pushNil()
        return 3
    }

    /// `next` over the real table (upvalue 1), ignoring the proxy passed as the first argument.
    static let readOnlyNext: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let real = Lua.upvalueIndex(1)
        lua.top = 2
        if !lua.isNil(at: 2) {
            // lua_next raises on a key that is not in the table: check first.
            lua.pushValue(at: 2)
            let present = lua.rawGet(real) != .nil
            lua.pop()
            if !present { return lua.raise("invalid key to 'next'") }
        }
        lua.pushValue(at: 2)
        if lua.next(real) { return 2 }
        lua.pushNil()
        return 1
    }

    static let readOnlyLength: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(lua.rawLength(at: Lua.upvalueIndex(1)))
        return 1
    }

    /// `require(name)`: the value bound under `name` in the caller's environment (modules listed in the
    /// entry, import aliases, standard libraries), else an error. Only raw lookups: the environment's own
    /// fields, then along its `__index` tables (the entry scope, then the shared base). When the nearest
    /// environment is a table of the user's own (`local _ENV = {...}`), enclosing frames are tried next.
    static let require: LuaNativeFunction = { state in
        let lua = Lua(state!)
        // The name is looked up as the Lua string it is: no Swift string unless it is not found (`require`
        // inside functions runs at every call, e.g. in every process of an entry).
        guard lua.type(at: 1) == .string else { return lua.typeError(1, expected: "string") }
        guard LuaTask.current(lua) != nil else { return lua.raise("module '\(lua.string(at: 1) ?? "")' not found") }
        var level: Int32 = 1
        while let found = lua.pushCallerEnvironment(from: level) {
            if lookUpRaw(nameAt: 1, scopeAtTop: lua) { return 1 }
            level = found + 1
        }
        return lua.raise("module '\(lua.string(at: 1) ?? "")' not found")
    }

    /// Replaces the table on top with the value keyed by the string at `nameIndex`, found by raw lookups
    /// along the table's `__index` chain (true), or pops it (false).
    private static func lookUpRaw(nameAt nameIndex: Int32, scopeAtTop lua: Lua) -> Bool {
        let scope = lua.top
        for _ in 0..<8 {
            lua.pushValue(at: nameIndex)
            if lua.rawGet(scope) != .nil {
                lua.replace(at: scope)
                return true
            }
            lua.pop()
            guard lua.getMetatable(scope), lua.rawGet(-1, key: "__index") == .table else { break }
            lua.replace(at: scope)
            lua.top = scope
        }
        lua.top = scope - 1
        return false
    }

    /// `print(...)`: one info log record with the process and the calling location.
    static let print: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let count = lua.top
        var parts: [String] = []
        parts.reserveCapacity(Int(count))
        for index in 1...max(count, 1) where index <= count {
            switch lua.type(at: index) {
            case .string, .number: parts.append(lua.stringCoercing(at: index) ?? "")
            default: parts.append(lua.toStringProtected(at: index))
            }
        }
        let task = LuaTask.current(lua)
        lua.pushWhere(level: 1)
        var location = lua.string(at: -1) ?? ""
        lua.pop()
        if location.hasSuffix(": ") { location.removeLast(2) }
        task?.process.workerState.runtime.log(.info, parts.joined(separator: " "), pid: task?.process.pid, location: location)
        return 0
    }

    static let stringDump: LuaNativeFunction = { state in
        Lua(state!).raise("unable to dump given function")
    }

    static let loadlib: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.pushNil()
        lua.push("loadlib disabled")
        return 2
    }

    static let noop: LuaNativeFunction = { _ in 0 }

    static let tableGetn: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        lua.push(lua.rawLength(at: 1))
        return 1
    }

    /// `table.maxn(t)`: the largest positive numeric key.
    static let tableMaxn: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        var best = 0.0
        var bestInteger: Int64? = 0
        lua.pushNil()
        while lua.next(1) {
            if let key = lua.number(at: -2), key > best {
                best = key
                bestInteger = lua.isInteger(at: -2) ? lua.integer(at: -2) : nil
            }
            lua.pop()
        }
        if let bestInteger { lua.push(bestInteger) } else { lua.push(best) }
        return 1
    }

    /// Largest size hint `table.create` accepts for either part.
    static let maximumTableHint: Int64 = 1 << 24

    static let tableCreate: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let arrayHint = lua.integer(at: 1) ?? 0
        let fieldHint = lua.integer(at: 2) ?? 0
        if arrayHint > maximumTableHint || fieldHint > maximumTableHint {
            return lua.raise("table.create: size too large (at most \(maximumTableHint))")
        }
        let array = Int32(clamping: arrayHint)
        let fields = Int32(clamping: fieldHint)
        lua.newTable(arrayCapacity: max(0, array), fieldCapacity: max(0, fields))
        return 1
    }

    /// `table.freeze(t) -> t`: moves the contents behind a read-only metatable (reads, `pairs`, `#` keep
    /// working; writes and `rawset` raise; other metamethods are kept).
    static let tableFreeze: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table") }
        lua.top = 1
        let frozenSet = Lua.upvalueIndex(1)
        lua.pushValue(at: 1)
        if lua.rawGet(frozenSet) != .nil { lua.top = 1; return 1 }
        lua.pop()
        var original: Int32 = 0
        if lua.getMetatable(1) {
            original = lua.top
            if lua.rawGet(original, key: "__metatable") != .nil { return lua.raise("cannot freeze a table with a protected metatable") }
            lua.pop()
        }
        // contents → hidden
        lua.newTable()
        let hidden = lua.top
        lua.rawCopyFields(from: 1, to: hidden)
        lua.pushNil()
        while lua.next(hidden) {
            lua.pop()
            lua.pushValue(at: -1)
            lua.pushNil()
            lua.rawSet(1)
        }
        // new metatable: the original's metamethods, then the read-only ones
        lua.newTable()
        let meta = lua.top
        var originalIndex = false
        if original != 0 {
            originalIndex = lua.rawGet(original, key: "__index") != .nil
            lua.pop()
            lua.pushNil()
            while lua.next(original) {
                if lua.string(at: -2) == "__gc" {  // never a finalizer (see setmetatable)
                    lua.pop()
                    continue
                }
                lua.pushValue(at: -2)
                lua.insert(at: -2)
                lua.rawSet(meta)
            }
        }
        if originalIndex {
            // Misses fall through to the original __index, which sees the frozen table (never the hidden
            // contents, which it could change). Built by a small Lua function, called in protected mode.
            lua.rawGet(Lua.registryIndex, key: "wippy.frozenIndex")
            lua.pushValue(at: hidden)
            lua.rawGet(original, key: "__index")
            if let error = lua.protectedCall(arguments: 2, results: 1) { return lua.raise(error.message) }
        } else {
            lua.pushValue(at: hidden)
        }
        lua.rawSet(meta, key: "__index")
        lua.push(native: readOnlyWrite)
        lua.rawSet(meta, key: "__newindex")
        lua.pushValue(at: hidden)
        lua.push(native: readOnlyPairs, upvalues: 1)
        lua.rawSet(meta, key: "__pairs")
        lua.pushValue(at: hidden)
        lua.push(native: readOnlyLength, upvalues: 1)
        lua.rawSet(meta, key: "__len")
        lua.push(false)
        lua.rawSet(meta, key: "__metatable")
        lua.pushValue(at: meta)
        lua.setMetatable(1)
        lua.pushValue(at: 1)
        lua.push(true)
        lua.rawSet(frozenSet)
        lua.top = 1
        return 1
    }

    static let tableIsFrozen: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .table else {
            lua.push(false)
            return 1
        }
        lua.pushValue(at: 1)
        lua.push(lua.rawGet(Lua.upvalueIndex(1)) != .nil)
        return 1
    }

    static let mathPow: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let x = lua.number(at: 1) else { return lua.typeError(1, expected: "number") }
        guard let y = lua.number(at: 2) else { return lua.typeError(2, expected: "number") }
        lua.push(Glibc.pow(x, y))
        return 1
    }

    static let mathLog10: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let x = lua.number(at: 1) else { return lua.typeError(1, expected: "number") }
        lua.push(Glibc.log10(x))
        return 1
    }

    static let mathCosh: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let x = lua.number(at: 1) else { return lua.typeError(1, expected: "number") }
        lua.push(Glibc.cosh(x))
        return 1
    }

    static let mathSinh: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let x = lua.number(at: 1) else { return lua.typeError(1, expected: "number") }
        lua.push(Glibc.sinh(x))
        return 1
    }

    static let mathTanh: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let x = lua.number(at: 1) else { return lua.typeError(1, expected: "number") }
        lua.push(Glibc.tanh(x))
        return 1
    }

    static let mathLdexp: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let m = lua.number(at: 1) else { return lua.typeError(1, expected: "number") }
        guard let e = lua.integer(at: 2) else { return lua.typeError(2, expected: "number") }
        lua.push(Glibc.ldexp(m, Int32(clamping: e)))
        return 1
    }

    static let mathFrexp: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let x = lua.number(at: 1) else { return lua.typeError(1, expected: "number") }
        var exponent: Int32 = 0
        let mantissa = Glibc.frexp(x, &exponent)
        lua.push(mantissa)
        lua.push(Int64(exponent))
        return 2
    }
}

extension Lua {
    /// Pushes the standard `next` function.
    func pushGlobalsNext() {
        pushGlobals()
        rawGet(-1, key: "next")
        remove(at: -2)
    }
}
