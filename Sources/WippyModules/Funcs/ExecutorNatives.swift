import WippyCodecs
import WippyCore
import WippyLua
import WippyRuntime

/// `funcs.new()` and the methods of Executor objects: an immutable builder whose user values are its context
/// values (1) and options (2), both Lua tables that are never changed after creation.
enum ExecutorNatives {
    static let methods: [(String, LuaNativeFunction)] = [
        ("with_context", withContext), ("with_options", withOptions), ("call", call), ("async", async),
    ]

    /// Pushes an executor with `context` and `options` (stack indices of tables, or 0 for empty ones).
    static func push(context: Int32, options: Int32, state: LuaWorkerState, on lua: Lua) {
        _ = state.newObject(ModuleTags.executor, userValues: 2, on: lua)
        for (slot, index) in [(Int32(1), context), (2, options)] {
            if index == 0 { lua.newTable() } else { lua.pushValue(at: index) }
            lua.setUserValue(-2, slot)
        }
    }

    /// `funcs.new()`: an executor with no context values and no options.
    static let new: LuaNativeFunction = { state in
        let lua = Lua(state!)
        push(context: 0, options: 0, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    /// `ex:with_context(values)`: a new executor whose context values are this one's with the string-keyed
    /// entries of `values` laid over them.
    static let withContext: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.executor) != nil else { return lua.typeError(1, expected: "Executor") }
        guard lua.type(at: 2) == .table else { return lua.typeError(2, expected: "table") }
        lua.top = 2
        lua.newTable()
        let merged = lua.top
        lua.getUserValue(1, 1)
        copyStringKeys(from: merged + 1, to: merged, in: lua)
        copyStringKeys(from: 2, to: merged, in: lua)
        lua.getUserValue(1, 2)
        push(context: merged, options: merged + 2, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    /// `ex:with_options(options)`: a new executor with these options (replacing the old ones). Known key:
    /// `timeout`, in milliseconds (a number) or a Go duration string.
    static let withOptions: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.executor) != nil else { return lua.typeError(1, expected: "Executor") }
        guard lua.type(at: 2) == .table else { return lua.typeError(2, expected: "table") }
        let worker = LuaWorkerState.of(lua)
        lua.top = 2
        if case .failure(let error) = timeout(in: 2, on: lua) { return worker.fail(error, on: lua) }
        lua.newTable()
        copyStringKeys(from: 2, to: 3, in: lua)
        lua.getUserValue(1, 1)
        push(context: 4, options: 3, state: worker, on: lua)
        return 1
    }

    static let call: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch settings(lua) {
        case .failure(let early): return early.status
        case .success(let settings): return FunctionCall.call(lua, targetAt: 2, settings: settings)
        }
    }

    static let async: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch settings(lua) {
        case .failure(let early): return early.status
        case .success(let settings): return FunctionCall.start(lua, targetAt: 2, settings: settings)
        }
    }

    // MARK: - Helpers

    /// The call settings of the executor at index 1 (its context values as payloads, its timeout).
    private static func settings(_ lua: Lua) -> Result<FunctionCall.Settings, EarlyReturn> {
        guard lua.taggedUserdata(at: 1, ModuleTags.executor) != nil else {
            return .failure(EarlyReturn(status: lua.typeError(1, expected: "Executor")))
        }
        let state = LuaWorkerState.of(lua)
        var settings = FunctionCall.Settings()
        lua.getUserValue(1, 1)
        let context = lua.top
        lua.pushNil()
        while lua.next(context) {
            if lua.type(at: -2) == .string, let key = lua.string(at: -2) {
                do throws(UnsendableValue) {
                    settings.values[key] = try LuaValueConverter.export(at: -1, in: lua, state: state)
                } catch {
                    lua.top = context - 1
                    return .failure(EarlyReturn(status: state.fail(error.error(root: "context.\(key)"), on: lua)))
                }
            }
            lua.pop()
        }
        lua.getUserValue(1, 2)
        if case .success(let timeout) = timeout(in: lua.top, on: lua) { settings.timeout = timeout }
        let options = lua.top
        lua.pushNil()
        while lua.next(options) {
            if lua.type(at: -2) == .string, let key = lua.string(at: -2),
                let value = try? LuaValueConverter.export(at: -1, in: lua, state: state)
            {
                settings.options[key] = value
            }
            lua.pop()
        }
        lua.top = context - 1
        return .success(settings)
    }

    /// The `timeout` option of the options table at `index`, in nanoseconds (nil when absent or not positive).
    private static func timeout(in index: Int32, on lua: Lua) -> Result<UInt64?, WippyError> {
        defer { lua.pop() }
        switch lua.rawGet(index, key: "timeout") {
        case .nil: return .success(nil)
        case .number:
            let milliseconds = lua.number(at: -1) ?? 0
            guard milliseconds.isFinite, milliseconds < 9e12 else { return .failure(.invalid("invalid timeout")) }
            return .success(milliseconds > 0 ? UInt64(milliseconds * 1_000_000) : nil)
        case .string:
            do throws(WippyError) {
                let duration = try GoDuration.parse(lua.string(at: -1) ?? "")
                return .success(duration.nanoseconds > 0 ? UInt64(duration.nanoseconds) : nil)
            } catch {
                return .failure(error)
            }
        default:
            return .failure(.invalid("timeout must be a number of milliseconds or a duration string"))
        }
    }

    /// Copies the string-keyed entries of the table at `source` into the table at `target`.
    private static func copyStringKeys(from source: Int32, to target: Int32, in lua: Lua) {
        lua.pushNil()
        while lua.next(source) {
            if lua.type(at: -2) == .string {
                lua.pushValue(at: -2)
                lua.insert(at: -2)
                lua.rawSet(target)
            } else {
                lua.pop()
            }
        }
    }
}
