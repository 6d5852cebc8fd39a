import NIOCore
import NIOWebSocket
import WippyCodecs
import WippyCore
import WSCore
public import WippyLua
public import WippyRuntime

/// The `websocket` module (lua-api-io §4): an outbound WebSocket client. `connect` suspends the calling task
/// until the handshake is done (or failed: `nil, err`); the Client's `send`, `ping` and `close` suspend
/// until their frame is written and return `true` / `nil, err`; `channel()` (alias `receive()`) is the
/// channel of `{type=, data=}` messages, closed when the connection ends.
public struct WebSocketModule: LuaModule {
    public let name = "websocket"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.webSocketClient, name: "websocket.Client", methods: WebSocketNatives.methods,
            metamethods: [("__gc", WebSocketNatives.collect)])
        lua.newTable(arrayCapacity: 0, fieldCapacity: 12)
        lua.setFunctions([("connect", WebSocketNatives.connect)], in: -1)
        for (key, value) in [("TEXT", 1), ("BINARY", 2)] {
            lua.push(Int64(value))
            lua.rawSet(-2, key: key)
        }
        for (key, value) in [
            ("TYPE_TEXT", "text"), ("TYPE_BINARY", "binary"), ("TYPE_PING", "ping"), ("TYPE_PONG", "pong"), ("TYPE_CLOSE", "close"),
        ] {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
        lua.newTable(arrayCapacity: 0, fieldCapacity: 3)
        for (key, value) in [("DISABLED", 0), ("CONTEXT_TAKEOVER", 1), ("NO_CONTEXT", 2)] {
            lua.push(Int64(value))
            lua.rawSet(-2, key: key)
        }
        lua.rawSet(-2, key: "COMPRESSION")
        let codes: [(String, Int)] = [
            ("NORMAL", 1000), ("GOING_AWAY", 1001), ("PROTOCOL_ERROR", 1002), ("UNSUPPORTED_DATA", 1003), ("RESERVED", 1004),
            ("NO_STATUS", 1005), ("ABNORMAL_CLOSURE", 1006), ("INVALID_PAYLOAD", 1007), ("POLICY_VIOLATION", 1008),
            ("MESSAGE_TOO_BIG", 1009), ("MANDATORY_EXTENSION", 1010), ("INTERNAL_ERROR", 1011), ("SERVICE_RESTART", 1012),
            ("TRY_AGAIN_LATER", 1013), ("BAD_GATEWAY", 1014), ("TLS_HANDSHAKE", 1015),
        ]
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(codes.count))
        for (key, value) in codes {
            lua.push(Int64(value))
            lua.rawSet(-2, key: key)
        }
        lua.rawSet(-2, key: "CLOSE_CODES")
    }
}

/// The functions of the `websocket` module and the methods of its Client.
enum WebSocketNatives {
    static let methods: [(String, LuaNativeFunction)] = [
        ("send", send), ("ping", ping), ("channel", channel), ("receive", channel), ("close", close),
    ]

    /// The channel buffer: unbounded in effect (a slow reader loses nothing; the backlog lives in the
    /// process, counted in its memory).
    static let channelCapacity = Int(Int32.max)

    static let collect: LuaNativeFunction = { state in
        let lua = Lua(state!)
        if let connection = RetainedObject.object(at: 1, tag: ModuleTags.webSocketClient, in: lua, as: WebSocketClientConnection.self) {
            connection.abort()
        }
        return RetainedObject.release(lua, tag: ModuleTags.webSocketClient, as: WebSocketClientConnection.self)
    }

    /// `websocket.connect(url, options?)` → Client, or `nil, err` (`Invalid` for bad options or URL,
    /// `Internal` retryable for a failed dial, `Timeout` past `dial_timeout`).
    static let connect: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 1) == .string, let url = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        guard !url.isEmpty else { return lua.argumentError(1, "URL must not be empty") }
        let lower = url.lowercased()
        guard lower.hasPrefix("ws://") || lower.hasPrefix("wss://") else {
            return worker.fail(.invalid("websocket: URL must start with ws:// or wss:// (got \"\(url)\")"), on: lua)
        }
        let options: WebSocketClientConnection.Options
        switch lua.type(at: 2) {
        case .nil, .none: options = .init()
        case .table:
            do throws(WippyError) {
                options = try Self.options(LuaValueConverter.payload(at: 2, in: lua, state: worker))
            } catch {
                return worker.fail(error, on: lua)
            }
        default: return lua.typeError(2, expected: "table")
        }
        let connection = WebSocketClientConnection()
        return awaitValue(lua, needsProcess: "websocket: connect needs a running process") {
            (done: @escaping @Sendable (Result<Void, WippyError>) -> Void) throws(WippyError) in
            connection.start(url: url, options: options, done: done)
        } resume: { thread, result in
            switch result {
            case .failure(let error): return worker.fail(error, on: thread)
            case .success:
                guard let process = LuaTask.current(thread)?.process else { return worker.fail(.internal("websocket: no process"), on: thread) }
                let channel = LuaChannel(capacity: channelCapacity, owner: process)
                connection.attach(process: process, channel: channel)
                worker.push(channel, on: thread)
                RetainedObject.push(connection, tag: ModuleTags.webSocketClient, userValues: 1, state: worker, on: thread)
                thread.insert(at: -2)
                thread.setUserValue(-2, 1)
                return 1
            }
        }
    }

    static func options(_ payload: Payload) throws(WippyError) -> WebSocketClientConnection.Options {
        var options = WebSocketClientConnection.Options()
        guard case .table(let table) = payload else { return options }
        if case .table(let headers)? = table["headers"] {
            for (name, value) in headers.stringFields {
                guard let text = value.stringValue ?? value.doubleValue.map({ JSONCodec.formatNumber($0) }) else {
                    throw WippyError.invalid("websocket: header \(name) must be a string")
                }
                options.headers.append((name, text))
            }
        }
        if case .table(let protocols)? = table["protocols"] {
            options.protocols = protocols.array.compactMap(\.stringValue)
        }
        if let dial = try duration(table["dial_timeout"], "dial_timeout") { options.dialTimeout = dial }
        if let write = try duration(table["write_timeout"], "write_timeout") { options.writeTimeout = write }
        if let read = try duration(table["read_timeout"], "read_timeout") { options.readTimeout = read }
        if let limit = table["read_limit"]?.intValue, limit > 0, limit <= 128 << 20 { options.readLimit = Int(limit) }
        switch table["compression"] {
        case .string("context_takeover")?, .int(1)?: options.compression = .contextTakeover
        case .string("no_context_takeover")?, .int(2)?: options.compression = .noContextTakeover
        case .string("disabled")?, .int(0)?, nil, .null?: options.compression = .disabled
        case let other?:
            if let number = other.doubleValue, [1.0, 2.0].contains(number) {
                options.compression = number == 1 ? .contextTakeover : .noContextTakeover
            } else if other.stringValue != nil {
                throw WippyError.invalid("websocket: compression must be \"disabled\", \"context_takeover\" or \"no_context_takeover\"")
            }
        }
        if let threshold = table["compression_threshold"]?.intValue, threshold >= 0, threshold <= 100 << 20 {
            options.compressionThreshold = Int(threshold)
        }
        return options
    }

    /// A number of milliseconds or a duration string; `nil` when absent or zero.
    static func duration(_ value: Payload?, _ name: String) throws(WippyError) -> Duration? {
        switch value {
        case nil, .null?: return nil
        case let value?:
            if let text = value.stringValue {
                let parsed: GoDuration
                do throws(WippyError) {
                    parsed = try GoDuration.parse(text)
                } catch {
                    throw WippyError.invalid("websocket: \(name) \"\(text)\" is not a duration such as \"5s\"")
                }
                return parsed.nanoseconds > 0 ? .nanoseconds(parsed.nanoseconds) : nil
            }
            guard let milliseconds = value.doubleValue else { throw WippyError.invalid("websocket: \(name) must be milliseconds or a duration string") }
            return milliseconds > 0 ? .nanoseconds(Int64(milliseconds * 1_000_000)) : nil
        }
    }

    static func client(_ lua: Lua, _ method: String) -> WebSocketClientConnection? {
        RetainedObject.object(at: 1, tag: ModuleTags.webSocketClient, in: lua, as: WebSocketClientConnection.self)
    }

    /// Waits for a write and returns `true` or `nil, err`.
    static func awaitWrite(_ lua: Lua, _ start: @escaping (@escaping @Sendable (Result<Void, WippyError>) -> Void) -> Void) -> Int32 {
        let worker = LuaWorkerState.of(lua)
        return awaitValue(lua, needsProcess: "websocket: the client needs a running process") {
            (done: @escaping @Sendable (Result<Void, WippyError>) -> Void) throws(WippyError) in start(done)
        } resume: { thread, result in
            switch result {
            case .success:
                thread.push(true)
                return 1
            case .failure(let error): return worker.fail(error, on: thread)
            }
        }
    }

    /// `client:send(data, type?)`: `websocket.BINARY` (2) sends a binary frame, anything else text.
    static let send: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let connection = client(lua, "send") else { return lua.typeError(1, expected: "websocket.Client") }
        guard let bytes = lua.type(at: 2) == .string ? lua.bytes(at: 2) : lua.stringCoercing(at: 2).map({ Array($0.utf8) }) else {
            return lua.typeError(2, expected: "string")
        }
        let binary = lua.type(at: 3) == .number && lua.integer(at: 3) == 2
        let frame: WebSocketOutboundWriter.OutboundFrame =
            binary ? .binary(ByteBuffer(bytes: bytes)) : .text(String(decoding: bytes, as: UTF8.self))
        return awaitWrite(lua) { done in connection.write(frame, done: done) }
    }

    /// `client:ping()`.
    static let ping: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let connection = client(lua, "ping") else { return lua.typeError(1, expected: "websocket.Client") }
        let frame = WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())
        return awaitWrite(lua) { done in connection.write(.custom(frame), done: done) }
    }

    /// `client:channel()` / `client:receive()`: the same channel every call.
    static let channel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.webSocketClient) != nil else { return lua.typeError(1, expected: "websocket.Client") }
        lua.getUserValue(1, 1)
        return 1
    }

    /// `client:close(code?, reason?)`: code 1000 unless one in 1000–4999 is given.
    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let connection = client(lua, "close") else { return lua.typeError(1, expected: "websocket.Client") }
        var code = 1000
        if lua.type(at: 2) == .number, let value = lua.integer(at: 2), (1000...4999).contains(value) { code = Int(value) }
        let reason = lua.type(at: 3) == .string ? (lua.string(at: 3) ?? "") : ""
        return awaitWrite(lua) { done in connection.close(code: code, reason: reason, done: done) }
    }
}
