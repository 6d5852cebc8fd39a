import WippyCore
import WippyLua

/// `process.upgrade` and the `upgradable` option.
extension ProcessNatives {
    /// `process.upgrade([id, ...args])`: replaces the running process with a fresh instance of entry `id`
    /// (nil: the current code of its own entry), called with `args`. The PID, the mailbox (items not yet
    /// received), links, monitors and registered names stay; Lua state, coroutines and channels do not (the
    /// new code calls `inbox()` etc. again). Messages already handed to a coroutine of the old instance but
    /// not yet taken are dropped. Does not return on success; returns nil, err when the entry cannot be used.
    /// Inside a workflow it continues the run as new (``WorkflowSession/continueAsNew(_:from:entry:arguments:)``).
    static let upgrade: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let (task, process) = context(lua) else { return noProcess(lua) }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let entryID: EntryID
        switch lua.type(at: 1) {
        case .nil, .none:
            entryID = process.program.entryID
        case .string:
            entryID = EntryID.resolve(lua.string(at: 1) ?? "", in: process.program.entryID.namespace)
        default:
            return lua.typeError(1, expected: "string or nil")
        }
        guard let program = process.workerState.runtime.program(entryID) else {
            return process.workerState.fail(WippyError("process not found: \(entryID)", kind: .notFound, retryable: false), on: lua)
        }
        guard program.kind == .process || program.kind == .workflow else {
            return process.workerState.fail(.invalid("\(entryID) is a \(program.kind.rawValue) entry, not a process"), on: lua)
        }
        let top = lua.top
        var arguments: [Payload] = []
        if top > 1 {
            switch LuaValueConverter.export(from: 2, to: top, in: lua, state: process.workerState) {
            case .success(let values): arguments = values
            case .failure(let error): return process.workerState.fail(error, on: lua)
            }
        }
        // Inside a workflow: continue-as-new (the run ends as continued, a new run of the workflow id starts).
        if let session = process.workflow { return session.continueAsNew(task, from: lua, entry: entryID, arguments: arguments) }
        process.pendingUpgrade = LuaProcessStarter(
            program: program, mode: .process, arguments: arguments, context: process.context, isUpgrade: true,
            memoryLimit: process.workerState.memory.usage(of: process.account)?.limit ?? 0, firstToken: process.nextToken)
        return lua.yieldToScheduler()
    }
}
