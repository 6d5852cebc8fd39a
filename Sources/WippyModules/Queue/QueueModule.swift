public import WippyLua
public import WippyRuntime
import WippyCore
import WippyResources

/// The `queue` module (lua-api-io §7.3): `queue.publish` onto a `queue.queue` entry (waits while a memory
/// queue is full), `queue.message()` inside a consumer's handler, `queue.info`.
public struct QueueModule: LuaModule {
    public let name = "queue"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.queueMessage, name: "queue.Message", methods: QueueNatives.messageMethods,
            metamethods: [("__gc", QueueNatives.collect)])
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        lua.setFunctions([("publish", QueueNatives.publish), ("message", QueueNatives.message), ("info", QueueNatives.info)], in: -1)
    }
}
