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

    /// `s:read(size?)` → up to `size` bytes (default 32 KiB), `nil, nil` at the end, `nil, err` on a
    /// transport failure.
    static let read: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = stream(lua, "read")
        guard case .success(let stream) = parsed else { return parsed.status }
        let size = StreamReadSize.argument(lua, at: 2)
        guard case .success(let max) = size else { return size.status }
        return SQLCall.run(lua, needsProcess: "stream: read needs a running process") { completion in
            stream.read(max: max, completion: completion)
        } push: { thread, chunk in
            if let chunk { thread.push(bytes: chunk) } else { thread.pushNil() }
            thread.pushNil()
            return 2
        }
    }

    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = stream(lua, "close")
        guard case .success(let stream) = parsed else { return parsed.status }
        stream.close()
        lua.push(true)
        return 1
    }

    /// `s:stat()` → `{size = -1, position, readable = true, writable = false, seekable = false}`.
    static let stat: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = stream(lua, "stat")
        guard case .success(let stream) = parsed else { return parsed.status }
        lua.newTable(arrayCapacity: 0, fieldCapacity: 5)
        lua.push(Int64(-1))
        lua.rawSet(-2, key: "size")
        lua.push(stream.position)
        lua.rawSet(-2, key: "position")
        lua.push(true)
        lua.rawSet(-2, key: "readable")
        lua.push(false)
        lua.rawSet(-2, key: "writable")
        lua.push(false)
        lua.rawSet(-2, key: "seekable")
        return 1
    }
}
