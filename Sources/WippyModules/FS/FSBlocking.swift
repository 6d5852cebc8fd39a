import WippyCore
import WippyLua
import WippyRuntime

/// How an `fs` (or `exec`) native reports a failure: `nil, err` or `false, err`.
enum FailureShape {
    case nilError
    case falseError

    func push(_ error: WippyError, worker: LuaWorkerState, on lua: Lua) -> Int32 {
        switch self {
        case .nilError: return worker.fail(error, on: lua)
        case .falseError:
            lua.push(false)
            worker.pushError(error, on: lua)
            return 2
        }
    }
}

/// Runs disk work off the worker: the calling process is suspended while `work` runs on the runtime's
/// blocking pool, then `push` pushes its result (a failure becomes `nil, err` or `false, err`).
func runBlocking<Value: Sendable>(
    _ lua: Lua, failure: FailureShape = .nilError, work: @escaping @Sendable () throws(WippyError) -> Value,
    push: @escaping (Lua, Value) -> Int32
) -> Int32 {
    let worker = LuaWorkerState.of(lua)
    guard let task = LuaTask.current(lua) else {
        // Not inside a process (loading a module): there is nothing to suspend.
        do throws(WippyError) {
            return push(lua, try work())
        } catch {
            return failure.push(error, worker: worker, on: lua)
        }
    }
    return task.process.performBlocking(task, from: lua, work: work) { thread, result in
        switch result {
        case .success(let value): return push(thread, value)
        case .failure(let error): return failure.push(error, worker: worker, on: thread)
        }
    }
}
