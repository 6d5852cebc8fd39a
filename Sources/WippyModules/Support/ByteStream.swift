import WippyCore
import WippyHTTP
import WippyLua
import WippyResources

/// A body read piece by piece with a completion (a request's body, a streamed `http_client` response): what
/// the Lua Stream objects over them (lua-api-core §15) have in common.
protocol ByteStream: AnyObject, Sendable {
    /// Up to `max` bytes, `nil` at the end, or the failure.
    func read(max: Int, completion: @escaping @Sendable (Result<[UInt8]?, WippyError>) -> Void)
    func close()
    /// Bytes read so far.
    var position: Int64 { get }
    /// The whole size when known, else `-1`.
    var size: Int64 { get }
}

extension RequestBodyStream: ByteStream {
    var size: Int64 { Int64(declaredLength) }
}

extension OutboundBodyStream: ByteStream {
    var size: Int64 { -1 }
}

/// The `read`, `close` and `stat` methods of a Stream over a ``ByteStream``; each Stream type's natives
/// find their object (by its tag) and call these.
enum ByteStreamMethods {
    /// `s:read(size?)` → up to `size` bytes (default 32 KiB), `nil, nil` at the end, `nil, err` on a failed
    /// read; suspends the process until data came.
    static func read(_ lua: Lua, _ stream: some ByteStream) -> Int32 {
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

    /// `s:close()` → `true` (idempotent).
    static func close(_ lua: Lua, _ stream: some ByteStream) -> Int32 {
        stream.close()
        lua.push(true)
        return 1
    }

    /// `s:stat()` → `{size, position, readable = true, writable = false, seekable = false}`.
    static func stat(_ lua: Lua, _ stream: some ByteStream) -> Int32 {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 5)
        lua.push(stream.size)
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
