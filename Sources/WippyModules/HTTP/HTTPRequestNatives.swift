import WippyCodecs
import WippyCore
import WippyHTTP
import WippyLua
import WippyRuntime

/// A Request object: the exchange and the body limits `http.request(opts)` set.
final class HTTPRequestHandle: Sendable {
    let exchange: HTTPExchange
    let maxBody: Int
    let timeout: Duration

    init(exchange: HTTPExchange, maxBody: Int, timeout: Duration) {
        self.exchange = exchange
        self.maxBody = maxBody
        self.timeout = timeout
    }
}

/// `http.request()` and the Request methods (lua-api-io §2.2). Everything is read from the snapshot taken
/// when the request arrived, except the body, which is read once, suspending the calling process.
enum HTTPRequestNatives {
    static let methods: [(String, LuaNativeFunction)] = [
        ("method", method), ("path", path), ("query", query), ("query_params", queryParams), ("header", header),
        ("headers", headers), ("content_type", contentType), ("content_length", contentLength), ("host", host),
        ("remote_addr", remoteAddr), ("body", body), ("body_json", bodyJSON), ("has_body", hasBody),
        ("is_content_type", isContentType), ("accepts", accepts), ("param", param), ("params", params), ("stream", stream),
        ("parse_multipart", HTTPMultipartNatives.parse),
    ]

    static let defaultMaxBody = 125_829_120
    static let defaultTimeout = Duration.milliseconds(300_000)

    /// `http.request(opts?)`: `Request, nil` or `nil, err` (`Internal` "no HTTP request context").
    static let request: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        var maxBody = defaultMaxBody
        var timeout = defaultTimeout
        switch lua.type(at: 1) {
        case .nil, .none: break
        case .table:
            _ = lua.rawGet(1, key: "max_body")
            if let value = lua.integer(at: -1), value > 0 { maxBody = Int(value) }
            lua.pop()
            _ = lua.rawGet(1, key: "timeout")
            if let value = lua.integer(at: -1), value > 0 { timeout = .milliseconds(value) }
            lua.pop()
        default:
            return lua.typeError(1, expected: "table")
        }
        guard let exchange = HTTPModule.exchange(lua) else {
            return worker.fail(.internal("no HTTP request context"), on: lua)
        }
        RetainedObject.push(
            HTTPRequestHandle(exchange: exchange, maxBody: maxBody, timeout: timeout), tag: ModuleTags.httpRequest, userValues: 0,
            state: worker, on: lua)
        lua.pushNil()
        return 2
    }

    static func with(_ lua: Lua, _ body: (HTTPRequestHandle, HTTPExchange.RequestHead) -> Int32) -> Int32 {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.httpRequest, in: lua, as: HTTPRequestHandle.self) else {
            return lua.typeError(1, expected: "http.Request")
        }
        return body(handle, handle.exchange.request)
    }

    /// Pushes `value` (or nil) and a nil error.
    static func pushPair(_ lua: Lua, _ value: String?) -> Int32 {
        if let value { lua.push(value) } else { lua.pushNil() }
        lua.pushNil()
        return 2
    }

    static func pushTable(_ lua: Lua, _ pairs: [(String, String)]) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(pairs.count))
        for (key, value) in pairs {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
    }

    static let method: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in pushPair(lua, head.method) }
    }

    static let path: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in pushPair(lua, head.path) }
    }

    /// `req:query(name)`: the first value of that key, or nil.
    static let query: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            guard let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            return pushPair(lua, head.query.first { $0.0 == name }?.1)
        }
    }

    /// `req:query_params()`: every key with its values joined by ",".
    static let queryParams: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            var order: [String] = []
            var values: [String: [String]] = [:]
            for (key, value) in head.query {
                if values[key] == nil { order.append(key) }
                values[key, default: []].append(value)
            }
            pushTable(lua, order.map { ($0, values[$0]!.joined(separator: ",")) })
            lua.pushNil()
            return 2
        }
    }

    /// `req:header(name)`: all values joined with ", " (names compared case-insensitively), or nil.
    static let header: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            guard let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            return pushPair(lua, head.header(name))
        }
    }

    /// `req:headers()`: name → values joined with ", ".
    static let headers: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            var order: [String] = []
            for field in head.headers where !order.contains(where: { $0.lowercased() == field.name.lowercased() }) { order.append(field.name) }
            pushTable(lua, order.map { ($0, head.header($0) ?? "") })
            lua.pushNil()
            return 2
        }
    }

    static let contentType: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in pushPair(lua, head.header("Content-Type")) }
    }

    static let contentLength: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            lua.push(head.contentLength)
            lua.pushNil()
            return 2
        }
    }

    static let host: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in pushPair(lua, head.header("Host") ?? "") }
    }

    static let remoteAddr: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in pushPair(lua, head.remoteAddress) }
    }

    static let hasBody: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            lua.push(head.contentLength > 0)
            lua.pushNil()
            return 2
        }
    }

    static let isContentType: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            guard let prefix = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            lua.push((head.header("Content-Type") ?? "").hasPrefix(prefix))
            lua.pushNil()
            return 2
        }
    }

    /// `req:accepts(type)`: the Accept list holds the type or `*/*` (no q-values).
    static let accepts: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            guard let type = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            let accepted = (head.header("Accept") ?? "").split(separator: ",").map { String($0.filter { $0 != " " }) }
            lua.push(accepted.contains(type) || accepted.contains("*/*"))
            lua.pushNil()
            return 2
        }
    }

    static let param: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            guard let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            return pushPair(lua, head.parameters.first { $0.0 == name && !$0.1.isEmpty }?.1)
        }
    }

    static let params: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { _, head in
            pushTable(lua, head.parameters.filter { !$0.1.isEmpty })
            lua.pushNil()
            return 2
        }
    }

    /// `req:body()`: `string, nil` or `nil, err`; suspends the process while the body arrives.
    static let body: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { handle, _ in
            readBody(lua, handle) { bytes, thread, _ in
                thread.push(bytes: bytes)
                thread.pushNil()
                return 2
            }
        }
    }

    /// `req:body_json()`: the body decoded as JSON (`Invalid` when it is not JSON).
    static let bodyJSON: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { handle, _ in
            readBody(lua, handle) { bytes, thread, worker in
                do throws(WippyError) {
                    let value = try JSONCodec.decode(bytes)
                    LuaValueConverter.push(value, on: thread, state: worker)
                    thread.pushNil()
                    return 2
                } catch {
                    return worker.fail(WippyError("invalid JSON body: \(error.message)", kind: .invalid, retryable: false), on: thread)
                }
            }
        }
    }

    static func readBody(
        _ lua: Lua, _ handle: HTTPRequestHandle, deliver: @escaping ([UInt8], Lua, LuaWorkerState) -> Int32
    ) -> Int32 {
        guard let task = LuaTask.current(lua) else { return lua.raise("req:body needs a running process") }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let process = task.process
        let worker = LuaWorkerState.of(lua)
        let token = process.suspend(task) { thread, completion in
            guard case .custom(let value)? = completion, let outcome = value as? Result<[UInt8], WippyError> else {
                return worker.fail(.internal("failed to read body"), on: thread)
            }
            switch outcome {
            case .failure(let error): return worker.fail(error, on: thread)
            case .success(let bytes): return deliver(bytes, thread, worker)
            }
        }
        let cell = process.cell
        let host = cell.worker.host
        handle.exchange.readBody(limit: handle.maxBody, timeout: handle.timeout) { outcome in
            withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .custom(outcome)) }
        }
        return lua.yieldToScheduler()
    }

    /// `req:stream()`: the body as a Stream (`Stream, nil`), or `nil, err` (`Internal`) once the body was
    /// taken by another read.
    static let stream: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { handle, _ in
            let worker = LuaWorkerState.of(lua)
            guard let stream = handle.exchange.bodyStream(limit: handle.maxBody, timeout: handle.timeout) else {
                return worker.fail(.internal("failed to read body: body already read"), on: lua)
            }
            RetainedObject.push(stream, tag: ModuleTags.httpRequestStream, userValues: 0, state: worker, on: lua)
            lua.pushNil()
            return 2
        }
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.httpRequest, as: HTTPRequestHandle.self)
    }
}
