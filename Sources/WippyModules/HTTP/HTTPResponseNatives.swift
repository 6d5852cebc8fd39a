import WippyCodecs
import WippyCore
import WippyHTTP
import WippyLua
import WippyRuntime

/// `http.response()` and the Response methods (lua-api-io §2.3): each returns `nil` on success or an error.
///
/// Once the response streams (`flush`, `write_event`, a write after `set_transfer`), a write whose bytes
/// leave more than ``WippyHTTP/HTTPExchange/queueLimit`` queued for a slow client suspends the calling
/// process until the connection took the queue (the write itself succeeded); a write after the client left
/// returns `Internal` "write failed".
enum HTTPResponseNatives {
    static let methods: [(String, LuaNativeFunction)] = [
        ("set_status", setStatus), ("set_header", setHeader), ("set_content_type", setContentType), ("write", write),
        ("write_json", writeJSON), ("flush", flush), ("set_transfer", setTransfer), ("write_event", writeEvent),
    ]

    /// `http.response()`: `Response, nil` or `nil, err` (`Internal` "no HTTP request context").
    static let response: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let exchange = HTTPModule.exchange(lua) else {
            return worker.fail(.internal("no HTTP request context"), on: lua)
        }
        RetainedObject.push(exchange, tag: ModuleTags.httpResponse, userValues: 0, state: worker, on: lua)
        lua.pushNil()
        return 2
    }

    static func with(_ lua: Lua, _ body: (HTTPExchange, LuaWorkerState) -> WippyError?) -> Int32 {
        guard let exchange = RetainedObject.object(at: 1, tag: ModuleTags.httpResponse, in: lua, as: HTTPExchange.self) else {
            return lua.typeError(1, expected: "http.Response")
        }
        let worker = LuaWorkerState.of(lua)
        if let error = body(exchange, worker) {
            _ = worker.fail(error, on: lua)
            // `fail` pushed nil, err: a Response method returns the error alone.
            lua.remove(at: -2)
            return 1
        }
        lua.pushNil()
        return 1
    }

    static let setStatus: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 2) == .number, let code = lua.integer(at: 2) else { return lua.typeError(2, expected: "integer") }
        return with(lua) { exchange, _ in exchange.setStatus(Int(code)) }
    }

    static let setHeader: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        guard let value = lua.stringCoercing(at: 3) else { return lua.typeError(3, expected: "string") }
        return with(lua) { exchange, _ in exchange.setHeader(name, value, handles: true) }
    }

    static let setContentType: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let value = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        return with(lua) { exchange, _ in exchange.setHeader("Content-Type", value, handles: false) }
    }

    static let write: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 2) == .string || lua.type(at: 2) == .number, let bytes = lua.bytes(at: 2) else {
            return lua.typeError(2, expected: "string")
        }
        return writing(lua) { exchange, _ in exchange.write(bytes) }
    }

    /// `with` for the writes: after a successful write that filled the stream's queue, the process waits
    /// (suspended, no thread held) until the connection took the queue or the client left.
    static func writing(_ lua: Lua, _ body: (HTTPExchange, LuaWorkerState) -> WippyError?) -> Int32 {
        let status = with(lua, body)
        guard lua.isNil(at: -1), let exchange = RetainedObject.object(at: 1, tag: ModuleTags.httpResponse, in: lua, as: HTTPExchange.self),
            exchange.isQueueFull, lua.isYieldable, let task = LuaTask.current(lua)
        else { return status }
        let process = task.process
        let cell = process.cell
        let host = cell.worker.host
        let token = process.suspend(task) { thread, _ in
            thread.pushNil()
            return 1
        }
        let waiting = exchange.waitForDrain {
            withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .custom(true)) }
        }
        guard waiting else {
            process.cancelSuspension(task, token: token)
            return status
        }
        lua.pop()
        return lua.yieldToScheduler()
    }

    /// `write_json(value)`: JSON by the `json` module's rules; `application/json` unless committed.
    static let writeJSON: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.top = max(lua.top, 2)
        return writing(lua) { exchange, worker in
            do throws(WippyError) {
                var reader = JSONValueReader(lua: lua, state: worker)
                let bytes = try JSONCodec.encode(try reader.read(at: 2))
                return exchange.write(bytes, contentType: "application/json")
            } catch {
                var failure = error
                failure.kind = .invalid
                return failure
            }
        }
    }

    static let flush: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return with(lua) { exchange, _ in
            exchange.flush()
            return nil
        }
    }

    /// `set_transfer("chunked" | "sse")`: the headers of that mode; the first write sends the head and the
    /// body streams (chunked: no `Content-Length`). Another mode raises.
    static let setTransfer: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let mode = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        let headers: [(String, String)]
        switch mode {
        case "chunked": headers = [("Cache-Control", "no-cache")]
        case "sse": headers = [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache"), ("Connection", "keep-alive")]
        default: return lua.argumentError(2, "unknown transfer mode '\(mode)' (chunked or sse)")
        }
        return with(lua) { exchange, _ in
            for (name, value) in headers {
                if let error = exchange.setHeader(name, value, handles: false) { return error }
            }
            exchange.requestStreaming()
            return nil
        }
    }

    /// `write_event{name=, data=}`: `event: <name>\ndata: <json>\n\n`, flushed at once. The first one
    /// switches the response to SSE; after headers of another kind were sent: `Invalid`.
    static let writeEvent: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 2) == .table else { return lua.typeError(2, expected: "table") }
        guard lua.rawGet(2, key: "name") == .string, let name = lua.string(at: -1) else {
            return lua.argumentError(2, "event name required")
        }
        lua.pop()
        guard lua.rawGet(2, key: "data") != .nil else { return lua.argumentError(2, "event data required") }
        let dataIndex = lua.top
        return writing(lua) { exchange, worker in
            do throws(WippyError) {
                var reader = JSONValueReader(lua: lua, state: worker)
                let data = try JSONCodec.encode(try reader.read(at: dataIndex))
                if let error = exchange.beginEvents() { return error }
                if let error = exchange.write(SSEFrame.event(name: name, data: data)) { return error }
                exchange.flush()
                return nil
            } catch {
                var failure = error
                failure.kind = .invalid
                return failure
            }
        }
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.httpResponse, as: HTTPExchange.self)
    }
}
