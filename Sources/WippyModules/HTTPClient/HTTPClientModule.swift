public import WippyLua
public import WippyRuntime

/// The `http_client` module (lua-api-io §3): outbound HTTP on async-http-client. `get`, `post`, `put`,
/// `delete`, `head`, `patch`, `request`, `request_batch` suspend the calling task until the response (or its
/// head, for `stream = true`) arrived; `encode_uri` and `decode_uri` are form-style escaping.
public struct HTTPClientModule: LuaModule {
    public let name = "http_client"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.httpClientStream, name: "stream.Stream", methods: HTTPClientStreamObject.methods,
            metamethods: [("__gc", HTTPClientStreamObject.collect)])
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(HTTPClientNatives.functions.count))
        lua.setFunctions(HTTPClientNatives.functions, in: -1)
    }
}
