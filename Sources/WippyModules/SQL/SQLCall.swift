import Synchronization
import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// Runs one database call from a native: the calling task is suspended while the backend works (on its
/// executor or an event loop), and resumes on its own worker with `value, nil` or `nil, err`. Other tasks
/// and processes of the worker run meanwhile. A completion that comes before the native returns (a check
/// that failed at once) is returned without suspending.
enum SQLCall {
    /// The outcome on its way back to the worker.
    struct Outcome<Value: Sendable>: Sendable {
        let result: Result<Value, WippyError>
    }

    /// Where a completion goes: to the native when it comes before the suspension, else to the worker.
    final class Route<Value: Sendable>: Sendable {
        struct State {
            var suspended: (cell: ProcessCell, host: ProcessHost, token: UInt64)?
            var early: Result<Value, WippyError>?
        }
        let state = Mutex(State())

        func deliver(_ result: Result<Value, WippyError>) {
            let target = state.withLock { state -> (ProcessCell, ProcessHost, UInt64)? in
                guard let suspended = state.suspended else {
                    state.early = result
                    return nil
                }
                return suspended
            }
            guard let (cell, host, token) = target else { return }
            withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .custom(Outcome(result: result))) }
        }
    }

    /// - Parameters:
    ///   - timeout: when given, the wait ends with `Timeout` (`timeoutMessage`) after it.
    ///   - needsProcess: the message raised when no process runs the call.
    static func run<Value: Sendable>(
        _ lua: Lua, timeout: Duration? = nil, timeoutMessage: String = "timed out",
        needsProcess: String = "sql: a database call needs a running process",
        _ start: (@escaping SQLCompletion<Value>) -> Void, push: @escaping (Lua, Value) -> Int32
    ) -> Int32 {
        let worker = LuaWorkerState.of(lua)
        func finish(_ result: Result<Value, WippyError>, on thread: Lua) -> Int32 {
            switch result {
            case .success(let value): return push(thread, value)
            case .failure(let error): return worker.fail(error, on: thread)
            }
        }
        guard let task = LuaTask.current(lua) else { return lua.raise(needsProcess) }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let route = Route<Value>()
        start { route.deliver($0) }
        if let early = route.state.withLock({ $0.early }) { return finish(early, on: lua) }
        let process = task.process
        let token = process.suspend(task) { thread, completion in
            guard case .custom(let value)? = completion, let outcome = value as? Outcome<Value> else {
                // The timer of `timeout` (the only other completion this token gets).
                return finish(.failure(timeout == nil ? .internal("sql: the call ended without a result") : .timeout(timeoutMessage)), on: thread)
            }
            return finish(outcome.result, on: thread)
        }
        let cell = process.cell
        let early = route.state.withLock { state -> Result<Value, WippyError>? in
            if let early = state.early { return early }
            state.suspended = (cell, cell.worker.host, token)
            return nil
        }
        if let early {
            process.cancelSuspension(task, token: token)
            return finish(early, on: lua)
        }
        if let timeout {
            let (seconds, attoseconds) = timeout.components
            cell.worker.arm(cell, after: UInt64(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)), token: token)
        }
        return lua.yieldToScheduler()
    }
}
