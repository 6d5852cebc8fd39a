import WippyCore
import WippyLua

/// The `errors` global and the methods of error objects.
extension LuaWorkerState {
    func installErrorsLibrary(into base: Int32) {
        let lua = self.lua
        // error object metatable
        lua.newTable()
        let meta = lua.top
        lua.newTable()
        let methods = lua.top
        for (name, native) in [
            ("message", ErrorsNatives.message), ("kind", ErrorsNatives.kind), ("retryable", ErrorsNatives.retryable),
            ("details", ErrorsNatives.details), ("stack", ErrorsNatives.stack),
        ] as [(String, LuaNativeFunction)] {
            lua.push(native: native)
            lua.rawSet(methods, key: name)
        }
        // An error object stands for its message where Lua code treats it as a string: the string functions
        // take it as its message (see setStringLikeMetatable below), and `err:upper()` and the like find them.
        lua.newTable()
        lua.rawGet(base, key: "string")
        lua.rawSet(-2, key: "__index")
        lua.setMetatable(methods)
        lua.rawSet(meta, key: "__index")
        lua.push(native: ErrorsNatives.message)
        lua.rawSet(meta, key: "__tostring")
        lua.push(native: ErrorsNatives.concat)
        lua.rawSet(meta, key: "__concat")
        lua.push(native: ErrorsNatives.equal)
        lua.rawSet(meta, key: "__eq")
        lua.push("error")
        lua.rawSet(meta, key: "__name")
        lua.push(false)
        lua.rawSet(meta, key: "__metatable")
        lua.pushValue(at: meta)
        lua.setStringLikeMetatable()
        registerMetatable(.error, from: lua)

        lua.newTable()
        let table = lua.top
        for (name, native) in [
            ("new", ErrorsNatives.new), ("wrap", ErrorsNatives.wrap), ("is", ErrorsNatives.is),
            ("call_stack", ErrorsNatives.callStack),
        ] as [(String, LuaNativeFunction)] {
            lua.push(native: native)
            lua.rawSet(table, key: name)
        }
        for (name, kind) in ErrorKind.all {
            lua.push(kind.rawValue)
            lua.rawSet(table, key: name)
        }
        makeReadOnly()
        lua.rawSet(base, key: "errors")
    }
}

enum ErrorsNatives {
    static func error(_ lua: Lua, _ index: Int32 = 1) -> WippyError? {
        LuaWorkerState.of(lua).readError(at: index, on: lua)
    }

    static let message: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .error) != nil else { return lua.typeError(1, expected: "error") }
        lua.getUserValue(1, LuaWorkerState.errorMessage)
        return 1
    }

    static let kind: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .error) != nil else { return lua.typeError(1, expected: "error") }
        lua.getUserValue(1, LuaWorkerState.errorKind)
        return 1
    }

    static let retryable: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .error) != nil else { return lua.typeError(1, expected: "error") }
        if lua.getUserValue(1, LuaWorkerState.errorRetryable) != .boolean {
            lua.pop()
            lua.pushNil()
        }
        return 1
    }

    static let details: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .error) != nil else { return lua.typeError(1, expected: "error") }
        guard lua.getUserValue(1, LuaWorkerState.errorDetails) == .table else {
            lua.pop()
            lua.pushNil()
            return 1
        }
        // `details = {}` reads back as nil
        lua.pushNil()
        if !lua.next(-2) {
            lua.pop()
            lua.pushNil()
            return 1
        }
        lua.pop(2)
        return 1
    }

    static let stack: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let error = error(lua) else { return lua.typeError(1, expected: "error") }
        var lines = error.context
        lines.append(error.message)
        lua.push(lines.joined(separator: "\n"))
        return 1
    }

    static let concat: LuaNativeFunction = { state in
        let lua = Lua(state!)
        for index in Int32(1)...2 {
            if lua.taggedUserdata(at: index, .error) != nil {
                lua.getUserValue(index, LuaWorkerState.errorMessage)
                lua.replace(at: index)
            } else if lua.type(at: index) != .string && lua.type(at: index) != .number {
                return lua.raise("attempt to concatenate a \(lua.typeName(at: index)) value")
            }
        }
        lua.concatenate(2)
        return 1
    }

    static let equal: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(lua.rawEqual(1, 2))
        return 1
    }

    /// `errors.new(message)` or `errors.new{message=, kind=, retryable=, details=}`.
    static let new: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        switch lua.type(at: 1) {
        case .string:
            worker.pushError(WippyError(lua.string(at: 1) ?? ""), on: lua)
            recordStack(lua)
            return 1
        case .table:
            guard lua.rawGet(1, key: "message") == .string, let message = lua.string(at: -1) else {
                return lua.argumentError(1, "message must be a string")
            }
            var error = WippyError(message)
            if lua.rawGet(1, key: "kind") == .string, let kind = lua.string(at: -1) { error.kind = ErrorKind(kind) }
            if lua.rawGet(1, key: "retryable") == .boolean { error.retryable = lua.bool(at: -1) }
            if lua.rawGet(1, key: "details") == .table {
                var details = LuaValueConverter.payload(at: -1, in: lua, state: worker)
                if case .table(var table) = details {
                    table.array = []
                    table.fields = table.fields.filter { if case .string = $0.key { return true } else { return false } }
                    details = .table(table)
                }
                error.details = details
            }
            worker.pushError(error, on: lua)
            recordStack(lua)
            return 1
        default:
            return lua.typeError(1, expected: "string or table")
        }
    }

    /// `errors.wrap(err_or_string, context)`.
    static let wrap: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        var error: WippyError
        if let existing = worker.readError(at: 1, on: lua) {
            error = existing
        } else if lua.type(at: 1) == .string {
            error = WippyError(lua.string(at: 1) ?? "")
        } else {
            return lua.typeError(1, expected: "error or string")
        }
        let context: String
        if let other = worker.readError(at: 2, on: lua) {
            context = other.message
        } else if lua.type(at: 2) == .string {
            context = lua.string(at: 2) ?? ""
        } else {
            return lua.typeError(2, expected: "string or error")
        }
        // A further wrap folds the previous context into the message.
        if let previous = error.context.last {
            error.message = previous + ": " + error.message
            error.context.removeLast()
        }
        error.context.append(context)
        worker.pushError(error, on: lua)
        return 1
    }

    static let `is`: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .error) != nil, let kind = lua.string(at: 2) else {
            lua.push(false)
            return 1
        }
        lua.getUserValue(1, LuaWorkerState.errorKind)
        lua.push((lua.string(at: -1) ?? "") == kind)
        return 1
    }

    /// Stores the caller's Lua frames in the error object on top of the stack.
    static func recordStack(_ lua: Lua) {
        lua.pushStackFrames(level: 1)
        lua.setUserValue(-2, LuaWorkerState.errorFrames)
    }

    /// `errors.call_stack(err)`: `{thread, frames = {{level, source, line, name, type}, ...}}` or nil.
    static let callStack: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, .error) != nil, lua.getUserValue(1, LuaWorkerState.errorFrames) == .table else {
            lua.pushNil()
            return 1
        }
        let frames = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.pushValue(at: frames)
        lua.rawSet(-2, key: "frames")
        if let task = LuaTask.current(lua) {
            lua.push(task.isMain ? "main" : "coroutine")
        } else {
            lua.push("main")
        }
        lua.rawSet(-2, key: "thread")
        return 1
    }
}
