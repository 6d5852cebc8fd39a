import WippyCore
import WippyLua
import WippyRuntime
import WippyResources

/// An open `fs` File and the cleanup that closes it when the invocation that opened it ends.
final class FSFileHandle {
    let file: FSFile
    var cleanup: (process: LuaProcess, key: UInt64)?

    init(file: FSFile) { self.file = file }

    /// Closes the file (idempotent) and forgets the cleanup.
    func close() {
        if let (process, key) = cleanup { process.cancelCleanup(key) }
        cleanup = nil
        file.close()
    }
}

/// The methods of an `fs` File: `read`, `write`, `seek`, `stat`, `sync`, `close`, `scanner`.
enum FSFileObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("read", read), ("write", write), ("seek", seek), ("stat", stat), ("sync", sync), ("close", close),
        ("scanner", scanner),
    ]

    static let collect: LuaNativeFunction = { state in RetainedObject.release(Lua(state!), tag: ModuleTags.fsFile, as: FSFileHandle.self) }

    /// Pushes a File for `file`, closed at the end of the running invocation unless closed before.
    static func push(_ file: FSFile, state: LuaWorkerState, on lua: Lua) {
        let handle = FSFileHandle(file: file)
        if let process = LuaProcess.current(lua) {
            handle.cleanup = (process, process.addCleanup { file.close() })
        }
        RetainedObject.push(handle, tag: ModuleTags.fsFile, userValues: 0, state: state, on: lua)
    }

    static func handle(_ lua: Lua, _ method: String) -> Result<FSFileHandle, EarlyReturn> {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.fsFile, in: lua, as: FSFileHandle.self) else {
            return .failure(EarlyReturn(status: lua.raise("fs: \(method) must be called on a File (use f:\(method)(...))")))
        }
        return .success(handle)
    }

    /// `f:read(n?)` → bytes (default 4096); `nil, NOT_FOUND` at the end of the file.
    static let read: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "read")
        guard case .success(let handle) = parsed else { return parsed.status }
        var count: Int64 = 4096
        if !lua.isNil(at: 2) {
            switch lua.integerArgument(2) {
            case .success(let value): count = value
            case .failure(let early): return early.status
            }
        }
        guard count > 0 else { return LuaWorkerState.of(lua).fail(.invalid("read size must be positive, got \(count)"), on: lua) }
        let file = handle.file
        let size = Int(min(count, 1 << 26))
        return runBlocking(lua, work: { () throws(WippyError) -> [UInt8] in
            let bytes = try file.read(size)
            if bytes.isEmpty { throw WippyError.notFound("end of file \(file.name)") }
            return bytes
        }) { lua, bytes in
            lua.push(bytes: bytes)
            return 1
        }
    }

    /// `f:write(s)` → `true` or `nil, err` (an empty string ⇒ `INVALID`).
    static let write: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "write")
        guard case .success(let handle) = parsed else { return parsed.status }
        guard lua.type(at: 2) == .string || lua.type(at: 2) == .number, let bytes = lua.bytes(at: 2) else {
            return lua.typeError(2, expected: "string")
        }
        guard !bytes.isEmpty else { return LuaWorkerState.of(lua).fail(.invalid("write: data is empty"), on: lua) }
        let file = handle.file
        return runBlocking(lua, work: { () throws(WippyError) in try file.write(bytes) }) { lua, _ in
            lua.push(true)
            return 1
        }
    }

    /// `f:seek(whence, offset)` → the new position.
    static let seek: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "seek")
        guard case .success(let handle) = parsed else { return parsed.status }
        let whence = lua.isNil(at: 2) ? "cur" : (lua.string(at: 2) ?? "")
        var offset: Int64 = 0
        if !lua.isNil(at: 3) {
            switch lua.integerArgument(3) {
            case .success(let value): offset = value
            case .failure(let early): return early.status
            }
        }
        let (file, distance) = (handle.file, offset)
        return runBlocking(lua, work: { () throws(WippyError) in try file.seek(whence, distance) }) { lua, position in
            lua.push(position)
            return 1
        }
    }

    static let stat: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "stat")
        guard case .success(let handle) = parsed else { return parsed.status }
        let file = handle.file
        return runBlocking(lua, work: { () throws(WippyError) in try file.status() }) { lua, info in
            FSVolumeObject.push(info, on: lua)
            return 1
        }
    }

    static let sync: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "sync")
        guard case .success(let handle) = parsed else { return parsed.status }
        let file = handle.file
        return runBlocking(lua, work: { () throws(WippyError) in try file.sync() }) { lua, _ in
            lua.push(true)
            return 1
        }
    }

    /// `f:close()` → `true` (idempotent).
    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "close")
        guard case .success(let handle) = parsed else { return parsed.status }
        handle.close()
        lua.push(true)
        return 1
    }

    /// `f:scanner(split?)` → Scanner (`"lines"` default, `"words"`, `"bytes"`, `"runes"`).
    static let scanner: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        let parsed = handle(lua, "scanner")
        guard case .success(let handle) = parsed else { return parsed.status }
        let text = lua.isNil(at: 2) ? "lines" : (lua.string(at: 2) ?? "")
        guard let split = FSScanner.Split(rawValue: text) else {
            return worker.fail(.invalid("scanner: split must be \"lines\", \"words\", \"bytes\" or \"runes\", got \"\(text)\""), on: lua)
        }
        RetainedObject.push(
            FSScannerState(source: .file(handle.file), split: split), tag: ModuleTags.fsScanner, userValues: 0, state: worker, on: lua)
        return 1
    }
}
