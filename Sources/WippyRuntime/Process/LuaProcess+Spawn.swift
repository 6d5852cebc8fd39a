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

    /// Spawns a resolved target with the `count` values on top of `lua`'s stack as its arguments, keeping them
    /// as Lua values when the child lands on this worker (``ArgumentStash``); nil, having touched nothing,
    /// when that cannot apply (the caller then takes the general path). Only for a plain spawn of a process
    /// whose entry runs the worker's shared instance, already made here: its start calls the method at once.
    func spawnKeepingArguments(_ target: SpawnTargetCache.Target, count: Int32, in lua: Lua, monitor: Bool, link: Bool) -> PID? {
        // The worker state, this process's cell and its worker through guaranteed references: a spawn loop
        // would otherwise retain and release each of them (atomically) per child.
        Unmanaged.passUnretained(workerState)._withUnsafeGuaranteedRef { state in
            Unmanaged.passUnretained(cell)._withUnsafeGuaranteedRef { cell in
                cell.withWorker { worker in
                    spawnKeepingArguments(target, count: count, in: lua, monitor: monitor, link: link, state: state, worker: worker)
                }
            }
        }
    }

    /// `worker` is this process's (the calling thread's); a child of a host it serves lands on it
    /// (``ProcessHost/pickWorker()``).
    private func spawnKeepingArguments(
        _ target: SpawnTargetCache.Target, count: Int32, in lua: Lua, monitor: Bool, link: Bool, state: LuaWorkerState,
        worker: Worker
    ) -> PID? {
        guard target.program.isShareable, ArgumentStash.canKeep(count, on: lua),
            state.instance(of: target.program) != nil, !WorkflowIdentity.isWorkflowHost(target.host.id)
        else { return nil }
        // The node reads the parent only to monitor or link: without either, its strings are not copied (and
        // the plain same-worker spawn below builds no options at all).
        var options: SpawnOptions { SpawnOptions(parent: monitor || link ? pid : nil, monitor: monitor, link: link) }
        let node = worker.host.node
        guard worker.host === target.host else {
            // Another host, so another worker (another Lua state): the values travel as payloads; these always
            // convert.
            let top = lua.top
            guard case .success(let arguments) = LuaValueConverter.export(from: top - count + 1, to: top, in: lua, state: state)
            else { return nil }
            let starter = LuaProcessStarter(program: target.program, mode: .process, arguments: arguments, context: context)
            return node.spawn(on: target.host, starter: starter, options: options, worker: target.host.pickWorker())
        }
        // The stash belongs to the worker, not to this process's memory.
        let previous = state.memory.charge(.worker)
        let slot = state.argumentStash.store(count, from: lua)
        state.memory.charge(previous)
        let starter = LuaProcessStarter.reused(in: state, program: target.program, stashed: slot, context: context)
        if !monitor && !link { return node.spawnHere(on: target.host, starter: starter, worker: worker) }
        return node.spawn(on: target.host, starter: starter, options: options, worker: worker)
    }

    /// Spawns a resolved target, with this process's context or a Spawner's context, options, name and
    /// messages.
    func spawn(_ target: SpawnTargetCache.Target, arguments: [Payload], monitor: Bool, link: Bool, spawner: Spawner? = nil) -> PID {
        guard let spawner else {
            let options = SpawnOptions(parent: monitor || link ? pid : nil, monitor: monitor, link: link)
            let starter = LuaProcessStarter(program: target.program, mode: .process, arguments: arguments, context: context)
            return node.spawn(on: target.host, starter: starter, options: options)
        }
        let options = SpawnOptions(parent: pid, monitor: monitor, link: link, name: spawner.name)
        let starter = LuaProcessStarter(
            program: target.program, mode: .process, arguments: arguments, context: spawner.context, options: spawner.options,
            memoryLimit: spawner.memoryLimit)
        let messages = spawner.messages.map { Message(from: pid, topic: $0.topic, payloads: $0.payloads) }
        return node.spawn(on: target.host, starter: starter, options: options, initialMessages: messages)
    }

    /// Spawns entry `id` (a `process.lua`; relative names resolve in this entry's namespace) on `host`, with
    /// this process's context or the Spawner's.
    public func spawnProcess(
        id: String, host hostID: String, arguments: [Payload], monitor: Bool, link: Bool, spawner: Spawner? = nil,
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
        let options = SpawnOptions(parent: pid, monitor: monitor, link: link, name: spawner?.name, onExit: onExit)
        let starter = LuaProcessStarter(
            program: target, mode: .process, arguments: arguments, context: spawner?.context ?? context,
            options: spawner?.options ?? [:], memoryLimit: spawner?.memoryLimit)
        let messages = spawner?.messages.map { Message(from: pid, topic: $0.topic, payloads: $0.payloads) } ?? []
        return .success(node.spawn(on: host, starter: starter, options: options, initialMessages: messages))
    }

    /// Calls entry `id` with `arguments`; `completion` runs on the callee's worker with its PID and result (it
    /// is the callee's exit handler itself: no wrapping closure per call). A
    /// `function.lua` runs as a short-lived process with its own PID, a `process.lua` as an ordinary process
    /// (with `process` and its own mailbox) whose returned value or error is the result; both run on this
    /// process's host, and the PID is returned (terminate it to abandon the call).
    public func callFunction(
        id: EntryID, arguments: [Payload], context callContext: ExecutionContext? = nil,
        completion: @escaping @Sendable (PID, ProcessResult) -> Void
    ) -> Result<PID, WippyError> {
        guard let target = workerState.runtime.program(id) else {
            return .failure(WippyError("function not found: \(id)", kind: .notFound, retryable: false))
        }
        let options = SpawnOptions(parent: pid, onExit: completion)
        switch target.kind {
        case .function:
            let starter = LuaProcessStarter(program: target, mode: .function, arguments: arguments, context: callContext ?? context)
            return .success(node.spawn(on: cell.worker.host, starter: starter, options: options, hostLabel: target.hostLabel))
        case .process:
            let starter = LuaProcessStarter(program: target, mode: .process, arguments: arguments, context: callContext ?? context)
            return .success(node.spawn(on: cell.worker.host, starter: starter, options: options))
        default:
            return .failure(.invalid("\(id) is a \(target.kind.rawValue) entry, not a function or process"))
        }
    }
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
