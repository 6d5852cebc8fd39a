import Dispatch
import WippyCore
import WippyLua
import WippyRuntime
import WippyResources

/// A stdout/stderr Stream of an `exec` Process, with the scanner state when one was made.
final class ExecStreamHandle: Sendable {
    let output: ChildOutput

    init(output: ChildOutput) { self.output = output }

    /// Waits (off the workers) until the output has data or ended.
    func waitReadable() {
        let ready = DispatchSemaphore(value: 0)
        output.whenReadable { ready.signal() }
        ready.wait()
    }
}

/// The methods of a Stream (lua-api-core §15) over a child's output: `read`, `close`, `scanner`, `stat`.
enum ExecStreamObject {
    static let methods: [(String, LuaNativeFunction)] = [("read", read), ("close", close), ("scanner", scanner), ("stat", stat)]

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.execStream, as: ExecStreamHandle.self)
    }

    static func handle(_ lua: Lua, _ method: String) -> Result<ExecStreamHandle, EarlyReturn> {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.execStream, in: lua, as: ExecStreamHandle.self) else {
            return .failure(EarlyReturn(status: lua.raise("stream: \(method) must be called on a Stream (use s:\(method)(...))")))
        }
        return .success(handle)
    }

    /// `s:read(size?)` → data, `nil, nil` at the end; suspends until the child wrote something.
    static let read: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "read")
        guard case .success(let handle) = parsed else { return parsed.status }
        let size = StreamReadSize.argument(lua, at: 2)
        guard case .success(let max) = size else { return size.status }
        func push(_ chunk: ChildOutput.Chunk?, on thread: Lua) -> Int32 {
            switch chunk {
            case .data(let bytes)?: thread.push(bytes: bytes)
            case .end?: thread.pushNil()
            case nil: thread.push("")  // another reader took what woke us
            }
            return 1
        }
        if let chunk = handle.output.read(max: max) { return push(chunk, on: lua) }
        let output = handle.output
        return awaitValue(lua, register: { (done: @escaping @Sendable (Bool) -> Void) throws(WippyError) in
            output.whenReadable { done(true) }
        }) { thread, _ in push(output.read(max: max), on: thread) }
    }

    /// `s:close()` → `true` (idempotent); what the child writes afterwards is dropped.
    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "close")
        guard case .success(let handle) = parsed else { return parsed.status }
        handle.output.close()
        lua.push(true)
        return 1
    }

    /// `s:stat()` → `{size = -1, position, readable = true, writable = false, seekable = false}`.
    static let stat: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "stat")
        guard case .success = parsed else { return parsed.status }
        lua.newTable(arrayCapacity: 0, fieldCapacity: 4)
        lua.push(Int64(-1))
        lua.rawSet(-2, key: "size")
        lua.push(true)
        lua.rawSet(-2, key: "readable")
        lua.push(false)
        lua.rawSet(-2, key: "writable")
        lua.push(false)
        lua.rawSet(-2, key: "seekable")
        return 1
    }

    /// `s:scanner(split?)` → Scanner (`"lines"` default, `"words"`, `"bytes"`, `"runes"`; others raise).
    static let scanner: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "scanner")
        guard case .success(let handle) = parsed else { return parsed.status }
        let text = lua.isNil(at: 2) ? "lines" : (lua.string(at: 2) ?? "")
        guard let split = FSScanner.Split(rawValue: text) else {
            return lua.raise("scanner: split must be \"lines\", \"words\", \"bytes\" or \"runes\", got \"\(text)\"")
        }
        RetainedObject.push(
            FSScannerState(source: .stream(handle), split: split), tag: ModuleTags.fsScanner, userValues: 0,
            state: LuaWorkerState.of(lua), on: lua)
        return 1
    }
}
