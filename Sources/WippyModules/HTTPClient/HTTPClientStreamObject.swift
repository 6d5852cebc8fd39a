import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// The Stream of a streamed response (lua-api-core §15 shape): `read(n?)` suspends until data came and
/// returns `nil, nil` at the end; `close()` (idempotent) drops the rest of the body; `stat()`.
enum HTTPClientStreamObject {
    static let methods: [(String, LuaNativeFunction)] = [("read", read), ("close", close), ("stat", stat)]

    static let collect: LuaNativeFunction = { state in
        let lua = Lua(state!)
        if let stream = RetainedObject.object(at: 1, tag: ModuleTags.httpClientStream, in: lua, as: OutboundBodyStream.self) {
            stream.close()
        }
        return RetainedObject.release(lua, tag: ModuleTags.httpClientStream, as: OutboundBodyStream.self)
    }

    static func stream(_ lua: Lua, _ method: String) -> Result<OutboundBodyStream, EarlyReturn> {
        guard let stream = RetainedObject.object(at: 1, tag: ModuleTags.httpClientStream, in: lua, as: OutboundBodyStream.self) else {
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
