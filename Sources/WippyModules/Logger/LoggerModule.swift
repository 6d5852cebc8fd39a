public import WippyLua
public import WippyRuntime

/// The `logger` module (lua-api-io §8.3): the module value is itself a logger object, so only method calls
/// work (`logger:info("x")`). Records go to the runtime's swift-log logger with `pid` and `location`
/// (`<entry id>:<line>`) added.
public struct LoggerModule: LuaModule {
    public let name = "logger"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(ModuleTags.logger, name: "logger", methods: LoggerNatives.methods)
        LoggerNatives.push(fields: 0, name: 0, state: state, on: lua)
    }
}
