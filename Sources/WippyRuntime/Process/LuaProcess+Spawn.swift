public import WippyCore
public import WippyLua

/// Spawning processes and calling functions from Lua.
extension LuaProcess {
    /// Pushes this process's PID string.
    func pushPIDString(on lua: Lua) {
        pushOwnPID(on: lua)
    }

    /// Pushes this process's PID string, made once and kept while the process lives (senders on this worker
    /// label every message with it).
    func pushOwnPID(on target: Lua) {
        if !pidString.isValid {
            lua.push(pid: pid)
            pidString = lua.ref()
        }
        target.push(pidString)
    }

    /// Resolves spawn arguments `id` and `host` (strings at those stack indexes of `lua`), from the worker's
    /// cache when the same strings were resolved before under the current code.
    func spawnTarget(idAt idIndex: Int32, hostAt hostIndex: Int32, in lua: Lua) -> Result<SpawnTargetCache.Target, WippyError> {
        let generation = workerState.runtime.codeGeneration
        if let cached = workerState.spawnTargets.target(id: idIndex, host: hostIndex, in: lua, generation: generation) {
            return .success(cached)
        }
        let id = lua.string(at: idIndex) ?? ""
        let hostID = lua.string(at: hostIndex) ?? ""
        let entryID = EntryID.resolve(id, in: program.entryID.namespace)
        guard let target = workerState.runtime.program(entryID) else {
            return .failure(WippyError("process not found: \(entryID)", kind: .notFound, retryable: false))
        }
        guard target.kind == .process || target.kind == .workflow else {
            return .failure(.invalid("\(entryID) is a \(target.kind.rawValue) entry, not a process"))
        }
        guard let host = node.host(hostID) else {
            return .failure(WippyError("host not found: \(hostID)", kind: .notFound, retryable: false))
        }
        let resolved = SpawnTargetCache.Target(program: target, host: host)
        workerState.spawnTargets.remember(resolved, id: idIndex, host: hostIndex, in: lua, generation: generation, main: self.lua)
        return .success(resolved)
    }

    /// Spawns a resolved target.
    func spawn(_ target: SpawnTargetCache.Target, arguments: [Payload], monitor: Bool, link: Bool) -> PID {
        let options = SpawnOptions(parent: pid, monitor: monitor, link: link)
        let starter = LuaProcessStarter(program: target.program, mode: .process, arguments: arguments, context: context)
        return node.spawn(on: target.host, starter: starter, options: options)
    }

    /// Spawns entry `id` (a `process.lua`; relative names resolve in this entry's namespace) on `host`.
    public func spawnProcess(
        id: String, host hostID: String, arguments: [Payload], monitor: Bool, link: Bool,
        onExit: (@Sendable (PID, ProcessResult) -> Void)? = nil
    ) -> Result<PID, WippyError> {
        let entryID = EntryID.resolve(id, in: program.entryID.namespace)
        guard let target = workerState.runtime.program(entryID) else {
            return .failure(WippyError("process not found: \(entryID)", kind: .notFound, retryable: false))
        }
        guard target.kind == .process || target.kind == .workflow else {
            return .failure(.invalid("\(entryID) is a \(target.kind.rawValue) entry, not a process"))
        }
        guard let host = node.host(hostID) else {
            return .failure(WippyError("host not found: \(hostID)", kind: .notFound, retryable: false))
        }
        let options = SpawnOptions(parent: pid, monitor: monitor, link: link, onExit: onExit)
        let starter = LuaProcessStarter(program: target, mode: .process, arguments: arguments, context: context)
        return .success(node.spawn(on: host, starter: starter, options: options))
    }

    /// Calls function entry `id` with `arguments`; `completion` runs on the callee's worker with the result.
    /// The call runs on this process's worker as a short-lived process with its own PID, which is returned
    /// (terminate it to abandon the call).
    public func callFunction(
        id: EntryID, arguments: [Payload], context callContext: ExecutionContext? = nil,
        completion: @escaping @Sendable (ProcessResult) -> Void
    ) -> Result<PID, WippyError> {
        guard let target = workerState.runtime.program(id) else {
            return .failure(WippyError("function not found: \(id)", kind: .notFound, retryable: false))
        }
        guard target.kind == .function else {
            return .failure(.invalid("\(id) is a \(target.kind.rawValue) entry, not a function"))
        }
        let starter = LuaProcessStarter(program: target, mode: .function, arguments: arguments, context: callContext ?? context)
        let options = SpawnOptions(parent: pid, onExit: { _, result in completion(result) })
        return .success(node.spawn(on: cell.worker.host, starter: starter, options: options, hostLabel: target.hostLabel))
    }
}

extension LuaProgram {
    /// The host part of function-call PIDs: `<entry id>#lua.<serial>`.
    var hostLabel: String { "\(entryID)#lua.\(serial)" }
}

extension LuaWorkerState {
    /// Pushes a completion's result the way call-style functions return it: `value` or `nil, err`.
    public func pushResult(_ completion: Completion?, on lua: Lua) -> Int32 {
        switch completion {
        case .result(let result):
            if let error = result.error { return fail(error, on: lua) }
            LuaValueConverter.push(result.value, on: lua, state: self)
            return 1
        case .values(let values):
            for value in values { LuaValueConverter.push(value, on: lua, state: self) }
            return Int32(values.count)
        case .failure(let error):
            return fail(error, on: lua)
        case .custom, .none:
            lua.pushNil()
            return 1
        }
    }
}
