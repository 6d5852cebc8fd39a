import WippyCore
import WippyLua
import WippyRuntime
import WippyResources
#if canImport(Glibc)
import Glibc
#endif

/// A Process of the `exec` module and the cleanup that kills its child when the invocation ends.
final class ExecProcessHandle {
    let child: ChildProcess
    var cleanup: (process: LuaProcess, key: UInt64)?

    init(child: ChildProcess) { self.child = child }

    func close(force: Bool) {
        if let (process, key) = cleanup { process.cancelCleanup(key) }
        cleanup = nil
        child.close(force: force)
    }
}

/// The methods of an `exec` Process: `start`, `wait`, `signal`, `write_stdin`, `stdout_stream`,
/// `stderr_stream`, `close`. User values 1 and 2 keep the stdout and stderr Streams (the same each call).
enum ExecProcessObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("start", start), ("wait", wait), ("signal", signal), ("write_stdin", writeStdin), ("stdout_stream", stdoutStream),
        ("stderr_stream", stderrStream), ("close", close),
    ]

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.execProcess, as: ExecProcessHandle.self)
    }

    static func push(_ child: ChildProcess, state: LuaWorkerState, on lua: Lua) {
        let handle = ExecProcessHandle(child: child)
        if let process = LuaProcess.current(lua) {
            // The invocation ended (returned, failed or was cancelled): the child goes with it.
            handle.cleanup = (process, process.addCleanup { child.close(force: true) })
        }
        RetainedObject.push(handle, tag: ModuleTags.execProcess, userValues: 2, state: state, on: lua)
    }

    static func handle(_ lua: Lua, _ method: String) -> Result<ExecProcessHandle, EarlyReturn> {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.execProcess, in: lua, as: ExecProcessHandle.self) else {
            return .failure(EarlyReturn(status: lua.raise("exec: \(method) must be called on a Process (use p:\(method)(...))")))
        }
        return .success(handle)
    }

    /// `p:start()` → `true` or `nil, err` (already started or closed ⇒ `INVALID`).
    static let start: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "start")
        guard case .success(let handle) = parsed else { return parsed.status }
        do throws(WippyError) {
            try handle.child.start()
            lua.push(true)
            return 1
        } catch {
            return LuaWorkerState.of(lua).fail(error, on: lua)
        }
    }

    /// `p:wait()` → exit code (suspends until the child exits; -1 when a signal ended it), then the process
    /// is closed. Not started ⇒ `INVALID`.
    static let wait: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "wait")
        guard case .success(let handle) = parsed else { return parsed.status }
        let child = handle.child
        return awaitValue(lua, register: { (done: @escaping @Sendable (Int32) -> Void) throws(WippyError) in
            try child.whenExited(done)
        }) { thread, code in
            if let (process, key) = handle.cleanup { process.cancelCleanup(key) }
            handle.cleanup = nil
            thread.push(Int64(code))
            return 1
        }
    }

    /// `p:signal(n)` → `true` or `nil, err`.
    static let signal: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "signal")
        guard case .success(let handle) = parsed else { return parsed.status }
        let number: Int64
        switch lua.integerArgument(2) {
        case .success(let value): number = value
        case .failure(let early): return early.status
        }
        do throws(WippyError) {
            guard number > 0 && number < 65 else { throw WippyError.invalid("signal must be between 1 and 64, got \(number)") }
            try handle.child.signal(Int32(number))
            lua.push(true)
            return 1
        } catch {
            return LuaWorkerState.of(lua).fail(error, on: lua)
        }
    }

    /// `p:write_stdin(data)` → `true` or `nil, err`; an empty string closes stdin (the child reads the end).
    static let writeStdin: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "write_stdin")
        guard case .success(let handle) = parsed else { return parsed.status }
        guard lua.type(at: 2) == .string || lua.type(at: 2) == .number, let bytes = lua.bytes(at: 2) else {
            return lua.typeError(2, expected: "string")
        }
        let child = handle.child
        // A full pipe makes the write wait: off the worker.
        return runBlocking(lua, work: { () throws(WippyError) in try child.writeStdin(bytes) }) { thread, _ in
            thread.push(true)
            return 1
        }
    }

    static let stdoutStream: LuaNativeFunction = { state in stream(Lua(state!), "stdout_stream", slot: 1) }
    static let stderrStream: LuaNativeFunction = { state in stream(Lua(state!), "stderr_stream", slot: 2) }

    /// The stream in user value `slot`, made on first use (before `start`, or `nil, err`).
    static func stream(_ lua: Lua, _ method: String, slot: Int32) -> Int32 {
        let parsed = handle(lua, method)
        guard case .success(let handle) = parsed else { return parsed.status }
        if lua.getUserValue(1, slot) == .userdata { return 1 }
        lua.pop()
        let worker = LuaWorkerState.of(lua)
        do throws(WippyError) {
            let output = slot == 1 ? try handle.child.stdout() : try handle.child.stderr()
            RetainedObject.push(ExecStreamHandle(output: output), tag: ModuleTags.execStream, userValues: 0, state: worker, on: lua)
            lua.pushValue(at: -1)
            _ = lua.setUserValue(1, slot)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// `p:close(force?)` → `true`: SIGTERM to the child's group (SIGKILL when `force`).
    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = handle(lua, "close")
        guard case .success(let handle) = parsed else { return parsed.status }
        handle.close(force: lua.bool(at: 2))
        lua.push(true)
        return 1
    }
}
