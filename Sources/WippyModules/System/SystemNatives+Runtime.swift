import WippyCore
import WippyLua
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Runtime, process, supervisor and exit natives of `system`.
extension SystemNatives {
    /// `system.runtime.goroutines()`: live processes.
    static let processes: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(LuaWorkerState.of(lua).runtime.node.processCount))
        return 1
    }

    /// `system.runtime.max_procs(n?)`: the processor budget; with `n` (> 0) sets it and returns the previous.
    static let maxProcs: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        if lua.isNil(at: 1) {
            lua.push(worker.runtime.maxProcs)
            return 1
        }
        guard let count = lua.integer(at: 1), count > 0 else {
            return worker.fail(WippyError("max_procs must be a positive integer", kind: .invalid, retryable: false), on: lua)
        }
        lua.push(worker.runtime.setMaxProcs(count))
        return 1
    }

    static let cpuCount: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        return 1
    }

    static let osPID: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(getpid()))
        return 1
    }

    /// `system.process.hostname()`.
    static let hostname: LuaNativeFunction = { state in
        let lua = Lua(state!)
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else {
            return LuaWorkerState.of(lua).fail(.internal("hostname: \(String(cString: strerror(errno)))"), on: lua)
        }
        lua.push(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return 1
    }

    /// `system.process.cwd()`.
    static let cwd: LuaNativeFunction = { state in
        let lua = Lua(state!)
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else {
            return LuaWorkerState.of(lua).fail(.internal("cwd: \(String(cString: strerror(errno)))"), on: lua)
        }
        lua.push(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return 1
    }

    /// `system.exit(code?)` → `true`: the whole runtime shuts down gracefully and the program exits with `code`
    /// (default 0, an integer from 0 to 255). `nil, err` when nothing can stop the runtime (no application).
    static let exit: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        var code: Int64 = 0
        if !lua.isNil(at: 1) {
            guard let value = lua.integer(at: 1), (0...255).contains(value) else {
                return worker.fail(WippyError("exit code must be an integer from 0 to 255", kind: .invalid, retryable: false), on: lua)
            }
            code = value
        }
        guard worker.runtime.requestExit(code: Int32(code)) else {
            return worker.fail(WippyError("no application to exit", kind: .unavailable, retryable: false), on: lua)
        }
        lua.push(true)
        return 1
    }

    /// The state of every supervised host and service, sorted by ID.
    static let supervisorStates: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        let states = worker.runtime.supervisor?.states() ?? []
        LuaValueConverter.push(.array(states.map(\.payload)), on: lua, state: worker)
        return 1
    }

    /// `system.supervisor.state(id)`: one service's state, or `nil, err` (`NotFound`).
    static let supervisorState: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let text = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        guard let found = worker.runtime.supervisor?.state(of: EntryID(parsing: text)) else {
            return worker.fail(WippyError("service not found: \(text)", kind: .notFound, retryable: false), on: lua)
        }
        LuaValueConverter.push(found.payload, on: lua, state: worker)
        return 1
    }

    /// Every `system.raft` function on a standalone node.
    static let noRaft: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return LuaWorkerState.of(lua).fail(WippyError("raft not available", kind: .internal, retryable: false), on: lua)
    }
}
