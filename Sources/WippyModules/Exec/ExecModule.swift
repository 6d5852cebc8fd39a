import WippyCore
public import WippyLua
public import WippyRuntime
import WippyResources

/// The `exec` module (lua-api-core §17.3): `exec.get(id)` acquires an `exec.native` (or `exec.docker`)
/// executor; `executor:exec(cmd, {work_dir, env})` makes a Process (not started) whose stdout/stderr
/// streams, stdin, signals and exit code Lua drives. The child is read and waited for by its own thread
/// (``WippyResources/ChildProcess``); `proc:wait()` and stream reads suspend only the calling process.
/// When the invocation that made a process ends, the child is killed (SIGKILL to its group) and the
/// executor released.
///
/// No permissions are checked yet (there is no security layer).
public struct ExecModule: LuaModule {
    public let name = "exec"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.execExecutor, name: "exec.Executor", methods: [("exec", Self.exec), ("release", Self.release)],
            metamethods: [("__gc", Self.collect)])
        state.registerType(
            ModuleTags.execProcess, name: "exec.Process", methods: ExecProcessObject.methods,
            metamethods: [("__gc", ExecProcessObject.collect)])
        state.registerType(
            ModuleTags.execStream, name: "stream.Stream", methods: ExecStreamObject.methods,
            metamethods: [("__gc", ExecStreamObject.collect)])
        // Stream scanners are the fs module's Scanner type (registered again here: `fs` may not be listed).
        if !state.hasMetatable(ModuleTags.fsScanner) {
            state.registerType(
                ModuleTags.fsScanner, name: "fs.Scanner", methods: FSScannerObject.methods,
                metamethods: [("__gc", FSScannerObject.collect)])
        }
        lua.newTable(arrayCapacity: 0, fieldCapacity: 1)
        lua.setFunctions([("get", Self.get)], in: -1)
    }

    /// `exec.get(id)` → Executor or `nil, err` (empty ⇒ `INVALID`; unknown ⇒ `NOT_FOUND`; not an
    /// executor ⇒ `INVALID`). A bare name is taken in the caller's namespace.
    static let get: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 1) == .string, let text = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        do throws(WippyError) {
            guard !text.isEmpty else { throw WippyError.invalid("exec.get: executor ID is empty") }
            let process = LuaProcess.current(lua)
            let id = EntryID.resolve(text, in: process?.program.entryID.namespace ?? "")
            let (lease, executor) = try worker.runtime.resources.acquire(id, as: (any CommandExecutor).self, what: "an executor (exec.native)")
            let handle = ExecutorHandle(lease: lease, executor: executor)
            if let process { handle.cleanup = (process, process.addCleanup { [weak handle] in handle?.release() }) }
            RetainedObject.push(handle, tag: ModuleTags.execExecutor, userValues: 0, state: worker, on: lua)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    static func executor(_ lua: Lua, _ method: String) -> Result<ExecutorHandle, EarlyReturn> {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.execExecutor, in: lua, as: ExecutorHandle.self) else {
            return .failure(EarlyReturn(status: lua.raise("exec: \(method) must be called on an Executor (use e:\(method)(...))")))
        }
        return .success(handle)
    }

    /// `executor:exec(cmd, {work_dir=, env={K=V}})` → Process (not started) or `nil, err`.
    static let exec: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        let parsed = executor(lua, "exec")
        guard case .success(let handle) = parsed else { return parsed.status }
        guard lua.type(at: 2) == .string, let command = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
        var workDir: String?
        var environment: [String: String] = [:]
        if lua.type(at: 3) == .table {
            if lua.rawGet(3, key: "work_dir") == .string { workDir = lua.string(at: -1) }
            lua.pop()
            if lua.rawGet(3, key: "env") == .table {
                let table = lua.absolute(-1)
                lua.pushNil()
                while lua.next(table) {
                    if lua.type(at: -2) == .string, let key = lua.string(at: -2), let value = lua.stringCoercing(at: -1) {
                        environment[key] = value
                    }
                    lua.pop()
                }
            }
            lua.pop()
        } else if !lua.isNil(at: 3) {
            return lua.typeError(3, expected: "table")
        }
        do throws(WippyError) {
            guard let executor = handle.executor else { throw WippyError.invalid("executor is released") }
            let child = try executor.prepare(command: command, workDir: workDir, environment: environment)
            ExecProcessObject.push(child, state: worker, on: lua)
            return 1
        } catch {
            return worker.fail(error, on: lua)
        }
    }

    /// `executor:release()` → `true` (idempotent).
    static let release: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let parsed = executor(lua, "release")
        guard case .success(let handle) = parsed else { return parsed.status }
        handle.release()
        lua.push(true)
        return 1
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.execExecutor, as: ExecutorHandle.self)
    }
}

/// An acquired executor: the lease, released by `release()`, when the invocation ends, or when collected.
final class ExecutorHandle {
    private var lease: ResourceLease?
    private(set) var executor: (any CommandExecutor)?
    var cleanup: (process: LuaProcess, key: UInt64)?

    init(lease: ResourceLease, executor: any CommandExecutor) {
        self.lease = lease
        self.executor = executor
    }

    func release() {
        if let (process, key) = cleanup { process.cancelCleanup(key) }
        cleanup = nil
        lease?.release()
        lease = nil
        executor = nil
    }

    deinit { lease?.release() }
}
