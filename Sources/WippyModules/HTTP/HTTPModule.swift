public import WippyLua
public import WippyRuntime
import WippyCore
import WippyHTTP

/// The `http` module (lua-api-io §2): `http.request()` and `http.response()` inside the invocation an
/// `http.endpoint` runs for a request, and the `METHOD`, `STATUS`, `CONTENT`, `TRANSFER`, `ERROR` constants.
///
/// The request and response belong to that invocation only (``WippyHTTP/ActiveExchanges``): a function
/// it calls, or a process it spawns, gets `Internal` "no HTTP request context".
public struct HTTPModule: LuaModule {
    public let name = "http"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.httpRequest, name: "http.Request", methods: HTTPRequestNatives.methods,
            metamethods: [("__gc", HTTPRequestNatives.collect)])
        state.registerType(
            ModuleTags.httpResponse, name: "http.Response", methods: HTTPResponseNatives.methods,
            metamethods: [("__gc", HTTPResponseNatives.collect)])
        state.registerType(
            ModuleTags.httpRequestStream, name: "stream.Stream", methods: HTTPRequestStreamObject.methods,
            metamethods: [("__gc", HTTPRequestStreamObject.collect)])
        state.registerType(
            ModuleTags.httpMultipartFile, name: "http.MultipartFile", methods: HTTPMultipartNatives.fileMethods,
            metamethods: [("__gc", HTTPMultipartNatives.collect)])
        lua.newTable(arrayCapacity: 0, fieldCapacity: 7)
        let module = lua.top
        lua.setFunctions([("request", HTTPRequestNatives.request), ("response", HTTPResponseNatives.response)], in: module)
        Self.constants(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"].map { ($0, .string($0)) }, on: lua)
        lua.rawSet(module, key: "METHOD")
        Self.constants(Self.statuses.map { ($0.0, .int($0.1)) }, on: lua)
        lua.rawSet(module, key: "STATUS")
        Self.constants(
            [
                ("JSON", .string("application/json")), ("FORM", .string("application/x-www-form-urlencoded")),
                ("MULTIPART", .string("multipart/form-data")), ("TEXT", .string("text/plain")),
                ("STREAM", .string("application/octet-stream")),
            ], on: lua)
        lua.rawSet(module, key: "CONTENT")
        Self.constants([("CHUNKED", .string("chunked")), ("SSE", .string("sse"))], on: lua)
        lua.rawSet(module, key: "TRANSFER")
        Self.constants(["PARSE_FAILED", "INVALID_STATE", "WRITE_FAILED", "STREAM_ERROR"].map { ($0, .string($0)) }, on: lua)
        lua.rawSet(module, key: "ERROR")
    }

    enum Constant {
        case string(String)
        case int(Int)
    }

    private static func constants(_ pairs: [(String, Constant)], on lua: Lua) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(pairs.count))
        for (key, value) in pairs {
            switch value {
            case .string(let text): lua.push(text)
            case .int(let number): lua.push(number)
            }
            lua.rawSet(-2, key: key)
        }
    }

    static let statuses: [(String, Int)] = [
        ("OK", 200), ("CREATED", 201), ("ACCEPTED", 202), ("NO_CONTENT", 204), ("PARTIAL_CONTENT", 206),
        ("MOVED_PERMANENTLY", 301), ("FOUND", 302), ("SEE_OTHER", 303), ("NOT_MODIFIED", 304), ("TEMPORARY_REDIRECT", 307),
        ("PERMANENT_REDIRECT", 308), ("BAD_REQUEST", 400), ("UNAUTHORIZED", 401), ("PAYMENT_REQUIRED", 402), ("FORBIDDEN", 403),
        ("NOT_FOUND", 404), ("METHOD_NOT_ALLOWED", 405), ("NOT_ACCEPTABLE", 406), ("CONFLICT", 409), ("GONE", 410),
        ("UNPROCESSABLE", 422), ("TOO_MANY_REQUESTS", 429), ("INTERNAL_ERROR", 500), ("INTERNAL_SERVER_ERROR", 500),
        ("NOT_IMPLEMENTED", 501), ("BAD_GATEWAY", 502), ("SERVICE_UNAVAILABLE", 503), ("GATEWAY_TIMEOUT", 504),
        ("VERSION_NOT_SUPPORTED", 505),
    ]

    /// The exchange of the running endpoint invocation, or `nil`.
    static func exchange(_ lua: Lua) -> HTTPExchange? {
        guard let process = LuaProcess.current(lua) else { return nil }
        let worker = LuaWorkerState.of(lua)
        return ActiveExchanges.shared.value(InvocationKey(node: ObjectIdentifier(worker.runtime.node), pid: process.pid))
    }
}
