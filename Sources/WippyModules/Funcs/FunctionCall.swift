#if canImport(Glibc)
import Glibc
#endif
import WippyCore
import WippyLua
import WippyRuntime

/// What `funcs.call`/`funcs.async` and the executor methods share: reading the target and arguments, starting
/// the call, and bringing the result back to the calling worker.
enum FunctionCall {
    /// Settings an executor adds to a call.
    struct Settings {
        /// Context values laid over the caller's.
        var values: [String: Payload] = [:]
        /// Give up after this many nanoseconds (the `timeout` option).
        var timeout: UInt64?
        /// Every option of the executor (a workflow's activity options: `activity.*`).
        var options: [String: Payload] = [:]
    }

    /// Reads the target at `index`: `nil`/`""` and malformed IDs are `Invalid`, non-strings raise.
    static func target(_ lua: Lua, at index: Int32, state: LuaWorkerState) -> Result<EntryID, EarlyReturn> {
        if let last = state.lastFunctionTarget,
            lua.withBytes(at: index, { bytes in
                bytes.count == last.text.count && last.text.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
            }) == true
        {
            return .success(last.id)
        }
        let text: String
        switch lua.type(at: index) {
        case .nil, .none: text = ""
        case .string, .number: text = lua.stringCoercing(at: index) ?? ""
        default: return .failure(EarlyReturn(status: lua.typeError(index, expected: "string")))
        }
        switch FunctionTarget.parse(text) {
        case .success(let id):
            state.lastFunctionTarget = (Array(text.utf8), id)
            return .success(id)
        case .failure(let error): return .failure(EarlyReturn(status: state.fail(error, on: lua)))
        }
    }

    /// The context a call runs with: the caller's, with `settings.values` laid over it.
    private static func context(for process: LuaProcess, _ settings: Settings) -> ExecutionContext? {
        guard !settings.values.isEmpty else { return nil }
        var context = process.context
        context.values.merge(settings.values) { $1 }
        return context
    }

    /// `call(target, ...)` with the target at `index` and the arguments after it: blocks the task until the
    /// function returns, then resumes it with `value` or `nil, err` (kind preserved).
    static func call(_ lua: Lua, targetAt index: Int32, settings: Settings = Settings()) -> Int32 {
        guard let task = LuaTask.current(lua) else { return lua.raise("funcs.call needs a running process") }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let process = task.process
        let state = process.workerState
        let id: EntryID
        switch target(lua, at: index, state: state) {
        case .failure(let early): return early.status
        case .success(let value): id = value
        }
        let arguments: [Payload]
        switch LuaValueConverter.export(from: index + 1, to: lua.top, in: lua, state: state) {
        case .success(let values): arguments = values
        case .failure(let error): return state.fail(error, on: lua)
        }
        if let session = process.workflow {
            return session.call(
                task, from: lua, function: id, arguments: arguments, options: .map(settings.options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }),
                context: context(for: process, settings))
        }
        let token = process.suspendForResult(task, onTimeout: .timeout("function call timed out"))
        let cell = process.cell
        let started = process.callFunction(id: id, arguments: arguments, context: context(for: process, settings)) { result in
            cell.worker.complete(cell, token: token, .result(result))
        }
        if case .failure(let error) = started {
            process.cancelSuspension(task, token: token)
            return state.fail(error, on: lua)
        }
        if let timeout = settings.timeout { cell.worker.arm(cell, after: timeout, token: token) }
        return lua.yieldToScheduler()
    }

    /// `async(target, ...)`: starts the call and returns a Future at once; a call that cannot start returns
    /// `nil, err` with context "async start failed".
    static func start(_ lua: Lua, targetAt index: Int32, settings: Settings = Settings()) -> Int32 {
        guard let process = LuaProcess.current(lua) else { return lua.raise("funcs.async needs a running process") }
        let state = process.workerState
        let id: EntryID
        switch target(lua, at: index, state: state) {
        case .failure(let early): return early.status
        case .success(let value): id = value
        }
        let arguments: [Payload]
        switch LuaValueConverter.export(from: index + 1, to: lua.top, in: lua, state: state) {
        case .success(let values): arguments = values
        case .failure(let error): return state.fail(error, on: lua)
        }
        let future = FutureState(process: process, channel: LuaChannel(capacity: 1, owner: process))
        if let session = process.workflow {
            // An activity journaled like funcs.call's; its answer reaches the future at a block point.
            let options = Payload.map(settings.options.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            guard let seq = session.startAsync(
                from: lua, function: id, arguments: arguments, options: options, context: context(for: process, settings),
                resolve: { result in future.complete(with: .result(result)) })
            else { return lua.yieldToScheduler() }
            future.workflowCall = seq
            FutureNatives.push(future, state: state, on: lua)
            return 1
        }
        let token = process.expectCompletion { completion in future.complete(with: completion) }
        future.token = token
        let cell = process.cell
        let started = process.callFunction(id: id, arguments: arguments, context: context(for: process, settings)) { result in
            cell.worker.complete(cell, token: token, .result(result))
        }
        switch started {
        case .failure(let error):
            process.cancelPending(token)
            return state.fail(error, context: "async start failed", on: lua)
        case .success(let callee):
            future.callee = callee
        }
        if let timeout = settings.timeout { cell.worker.arm(cell, after: timeout, token: token) }
        FutureNatives.push(future, state: state, on: lua)
        return 1
    }
}
