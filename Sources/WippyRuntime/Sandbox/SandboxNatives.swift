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

    static let readOnlyWrite: LuaNativeFunction = { state in
        Lua(state!).raise("attempt to modify a read-only table")
    }

    /// `__pairs` of a read-only proxy: iterate the real table (upvalue 1).
    static let readOnlyPairs: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.pushGlobalsNext()
        lua.pushValue(at: Lua.upvalueIndex(1))
        lua.pushNil()
        return 3
    }

    static let readOnlyLength: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(lua.rawLength(at: Lua.upvalueIndex(1)))
        return 1
    }

    /// `require(name)`: the value bound under `name` in the caller's environment (modules listed in the
    /// entry, import aliases, standard libraries), else an error.
    static let require: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let name = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        guard let task = LuaTask.current(lua) else { return lua.raise("module '\(name)' not found") }
        if task.process.pushGlobal(name, on: lua) { return 1 }
        return lua.raise("module '\(name)' not found")
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

    static let tableCreate: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let array = Int32(clamping: lua.integer(at: 1) ?? 0)
        let fields = Int32(clamping: lua.integer(at: 2) ?? 0)
        lua.newTable(arrayCapacity: max(0, array), fieldCapacity: max(0, fields))
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
