public import WippyLua
public import WippyRuntime
import WippyCore
import WippyResources

/// The `store` module (lua-api-io §7.2): `store.get(id)` acquires a key-value store resource (`store.memory`,
/// `store.sql`) as a Store object, released by `s:release()` or at the end of the invocation.
public struct StoreModule: LuaModule {
    public let name = "store"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.store, name: "store.Store", methods: StoreNatives.methods,
            metamethods: [("__gc", StoreNatives.collect), ("__tostring", StoreNatives.describe)])
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        lua.setFunctions([("get", StoreNatives.get)], in: -1)
        Self.constants(
            [("MEMORY", "memory"), ("SQL", "sql"), ("KV_RAFT", "kv.raft"), ("KV_CRDT", "kv.crdt"), ("UNKNOWN", "unknown")], on: lua)
        lua.rawSet(-2, key: "backend")
        Self.constants(
            [("LINEARIZABLE", "linearizable"), ("EVENTUAL", "eventual"), ("LOCAL", "local"), ("UNKNOWN", "unknown")], on: lua)
        lua.rawSet(-2, key: "consistency")
    }

    static func constants(_ pairs: [(String, String)], on lua: Lua) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(pairs.count))
        for (key, value) in pairs {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
    }
}
