import WippyCore
import WippyLua

/// `process.spawn*` and Spawner spawns whose host is a workflow host: a durable start. The calling task
/// waits until the start is journaled (so the PID it gets names a run that survives a crash), then gets
/// the workflow PID `{node@host|id}`, or `nil, err`.
enum WorkflowSpawn {
    /// Starts `target` as a workflow when its host is a workflow host; nil when it is not (spawn normally).
    static func spawnIfWorkflow(
        _ lua: Lua, process: LuaProcess, target: SpawnTargetCache.Target, arguments: [Payload], monitor: Bool, link: Bool,
        spawner: Spawner?
    ) -> Int32? {
        guard WorkflowIdentity.isWorkflowHost(target.host.id) else { return nil }
        let state = process.workerState
        guard let engine = process.node.gateway(forHost: target.host.id) as? WorkflowEngine else {
            return state.fail(.unavailable("workflow host \(target.host.id) is not started yet"), on: lua)
        }
        if link {
            return state.fail(.invalid("workflows cannot be linked; use spawn_monitored to get their EXIT"), on: lua)
        }
        guard let task = LuaTask.current(lua) else { return lua.raise("process.spawn needs a running process") }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let options = spawner?.options ?? [:]
        let explicitID = (options["temporal.workflow.id"] ?? options["workflow.id"])?.stringValue
        var conflict: WorkflowEngine.ConflictPolicy?
        if let text = (options["temporal.workflow.id_conflict_policy"] ?? options["workflow.id_conflict_policy"])?.stringValue {
            guard let policy = WorkflowEngine.ConflictPolicy(rawValue: text) else {
                return state.fail(.invalid("unknown workflow id conflict policy '\(text)' (use_existing or fail)"), on: lua)
            }
            conflict = policy
        }
        let messages = spawner?.messages.map { Message(from: process.pid, topic: $0.topic, payloads: $0.payloads) } ?? []
        let start = WorkflowEngine.Start(
            entry: target.program.entryID, arguments: arguments, workflowID: explicitID ?? spawner?.name, conflict: conflict,
            context: spawner?.context ?? process.context, parent: process.pid, monitor: monitor, messages: messages)
        let token = process.suspend(task) { thread, completion in
            guard case .custom(let outcome as StartOutcome)? = completion else { return state.fail(.internal("workflow start lost"), on: thread) }
            switch outcome.result {
            case .success(let pid):
                thread.push(pid: pid)
                return 1
            case .failure(let error):
                return state.fail(error, on: thread)
            }
        }
        let cell = process.cell
        let host = cell.worker.host
        engine.start(start) { result in
            withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .custom(StartOutcome(result: result))) }
        }
        return lua.yieldToScheduler()
    }
}

struct StartOutcome: Sendable {
    let result: Result<PID, WippyError>
}
