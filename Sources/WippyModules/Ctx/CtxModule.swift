import WippyCore
public import WippyLua
public import WippyRuntime

/// The `ctx` module (lua-api-core §10): read-only access to the context values the running process or call
/// was given (`process.with_context`, `funcs.new():with_context`, or inherited from its spawner or caller).
///
/// - `ctx.get(key)` → `value, nil`; `""` → `nil, err` (`Invalid`, "empty key"); absent → `nil, err`
///   (`NotFound`, "key not found: <key>"); outside a process → `nil, err` (`Internal`).
/// - `ctx.all()` → a table of every value (empty when there are none).
public struct CtxModule: LuaModule {
    public let name = "ctx"
    public let classes: Set<ModuleClass> = [.workflow]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.setFunctions([("get", Self.get), ("all", Self.all)], in: -1)
    }

    static let get: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let key = lua.stringCoercing(at: 1) else { return lua.typeError(1, expected: "string") }
        guard let process = LuaProcess.current(lua) else { return worker.fail(.internal("no context found"), on: lua) }
        if key.isEmpty { return worker.fail(.invalid("empty key"), on: lua) }
        guard let value = process.context.values[key] else {
            return worker.fail(WippyError("key not found: \(key)", kind: .notFound, retryable: false), on: lua)
        }
        LuaValueConverter.push(value, on: lua, state: worker)
        lua.pushNil()
        return 2
    }

    static let all: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let process = LuaProcess.current(lua) else { return worker.fail(.internal("no context found"), on: lua) }
        let values = process.context.values
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(clamping: values.count))
        for (key, value) in values {
            LuaValueConverter.push(value, on: lua, state: worker)
            lua.rawSet(-2, key: key)
        }
        lua.pushNil()
        return 2
    }
}
