public import WippyLua
public import WippyRuntime

/// The `funcs` module (lua-api-core §9): calling function entries synchronously (`call`) or as Futures
/// (`async`), and executors that carry context values and options.
public struct FuncsModule: LuaModule {
    public let name = "funcs"
    public let classes: Set<ModuleClass> = [.workflow]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.future, name: "funcs.Future", methods: FutureNatives.methods,
            metamethods: [("__gc", FutureNatives.collect)])
        state.registerType(ModuleTags.executor, name: "funcs.Executor", methods: ExecutorNatives.methods)
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        lua.setFunctions([("call", Self.call), ("async", Self.async), ("new", ExecutorNatives.new)], in: -1)
    }

    /// `funcs.call(target, ...)`.
    static let call: LuaNativeFunction = { state in FunctionCall.call(Lua(state!), targetAt: 1) }

    /// `funcs.async(target, ...)`.
    static let async: LuaNativeFunction = { state in FunctionCall.start(Lua(state!), targetAt: 1) }
}
