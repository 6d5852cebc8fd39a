import WippyCore
import WippyHTTP
import WippyLua
import WippyRuntime

/// The Stream of `req:stream()` (lua-api-core §15 shape, like the `http_client` response Stream):
/// `read(n?)` suspends the process until data came and returns `nil, nil` at the end; `close()`; `stat()`
/// (`size` is the request's Content-Length, `-1` when unknown).
enum HTTPRequestStreamObject {
    static let methods: [(String, LuaNativeFunction)] = [("read", read), ("close", close), ("stat", stat)]

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.httpRequestStream, as: RequestBodyStream.self)
    }

    static func stream(_ lua: Lua, _ method: String) -> Result<RequestBodyStream, EarlyReturn> {
        guard let stream = RetainedObject.object(at: 1, tag: ModuleTags.httpRequestStream, in: lua, as: RequestBodyStream.self) else {
            return .failure(EarlyReturn(status: lua.raise("stream: \(method) must be called on a Stream (use s:\(method)(...))")))
        }
        return .success(stream)
    }

    static let read: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = stream(lua, "read")
        guard case .success(let stream) = parsed else { return parsed.status }
        return ByteStreamMethods.read(lua, stream)
    }

    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = stream(lua, "close")
        guard case .success(let stream) = parsed else { return parsed.status }
        return ByteStreamMethods.close(lua, stream)
    }

    static let stat: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = stream(lua, "stat")
        guard case .success(let stream) = parsed else { return parsed.status }
        return ByteStreamMethods.stat(lua, stream)
    }
}
