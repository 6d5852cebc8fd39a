import Synchronization
import WippyCore
import WippyLua
import WippyRuntime

/// Where a value awaited by a native goes: it is kept here, and read by the native itself when it comes
/// before the task is suspended (a check that failed at once, a buffered token), else by the task once its
/// worker is told (a `.values([])` completion). Kept here rather than sent in a `.custom` completion: that
/// boxed the value and cast it back per call (about 1.5k instructions of an SQLite insert).
private final class AwaitRoute<Value: Sendable>: Sendable {
    struct State {
        var suspended: (cell: ProcessCell, host: ProcessHost, token: UInt64)?
        var value: Value?
    }
    let state = Mutex(State())
    /// The worker told to expect this value (``Worker/expectCompletion(from:)``), with its host, which
    /// owns it, and where the value comes from; told once the value is delivered.
    let expecting: (worker: Worker, host: ProcessHost, source: CompletionSource)?

    init(expecting: (worker: Worker, host: ProcessHost, source: CompletionSource)?) {
        self.expecting = expecting
    }

    func deliver(_ value: Value) {
        let target = state.withLock { state -> (ProcessCell, ProcessHost, UInt64)? in
            state.value = value
            return state.suspended
        }
        if let (cell, host, token) = target {
            // The host is held until the completion is posted: it owns the worker the cell points to.
            withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .values([])) }
        }
        // After the post, so a worker spinning for it sees the completion before the count drops.
        if let expecting {
            withExtendedLifetime(expecting.host) { expecting.worker.completionArrived(from: expecting.source) }
        }
    }

    /// The delivered value, if it came.
    var delivered: Value? { state.withLock { $0.value } }
}

/// Waits, without holding any thread, for the value that `register`'s callback delivers (from any thread,
/// possibly before `register` returns), then hands it to `resume` on the calling task's worker. A value
/// delivered before the task could be suspended is handed over at once, with no suspension. A `register`
/// that throws makes the native return `nil, err`.
///
/// - Parameters:
///   - needsProcess: the error raised when no process runs the call.
///   - timeout: when given, the wait ends after it with `onTimeout` instead (the value, if it comes later,
///     is dropped).
///   - source: where the value comes from. For work another thread of this program is doing now (an SQLite
///     statement) or a database server's answer, the worker is told to expect it
///     (``Worker/expectCompletion(from:)``) until it is delivered, so it may poll for it before parking.
func awaitValue<Value: Sendable>(
    _ lua: Lua, needsProcess: String = "this call needs a running process", timeout: Duration? = nil,
    onTimeout: ((Lua) -> Int32)? = nil, source: CompletionSource = .elsewhere,
    register: (@escaping @Sendable (Value) -> Void) throws(WippyError) -> Void,
    resume: @escaping (Lua, Value) -> Int32
) -> Int32 {
    let worker = LuaWorkerState.of(lua)
    guard let task = LuaTask.current(lua) else { return lua.raise(needsProcess) }
    if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
    var expecting: (worker: Worker, host: ProcessHost, source: CompletionSource)?
    if source != .elsewhere {
        let runner = task.process.cell.worker
        expecting = (runner, runner.host, source)
        runner.expectCompletion(from: source)
    }
    let route = AwaitRoute<Value>(expecting: expecting)
    do throws(WippyError) {
        try register { route.deliver($0) }
    } catch {
        // Nothing will be delivered.
        if let expecting { expecting.worker.completionArrived(from: expecting.source) }
        return worker.fail(error, on: lua)
    }
    if let early = route.delivered { return resume(lua, early) }
    let process = task.process
    let token = process.suspend(task) { thread, completion in
        guard case .values? = completion, let value = route.delivered else {
            // The timer of `timeout` (the only other completion this token gets).
            if let onTimeout { return onTimeout(thread) }
            return worker.fail(.internal("wait ended without a result"), on: thread)
        }
        return resume(thread, value)
    }
    let cell = process.cell
    let early = route.state.withLock { state -> Value? in
        if let early = state.value { return early }
        state.suspended = (cell, cell.worker.host, token)
        return nil
    }
    if let early {
        process.cancelSuspension(task, token: token)
        return resume(lua, early)
    }
    if let timeout {
        cell.worker.arm(cell, after: UInt64(max(0, timeout.nanosecondsClamped)), token: token)
    }
    return lua.yieldToScheduler()
}
