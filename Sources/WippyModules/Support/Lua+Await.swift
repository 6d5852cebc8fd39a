import WippyCore
import WippyLua
import WippyRuntime

/// Suspends the calling task until `register`'s callback is called (from any thread, possibly at once),
/// then resumes it on its worker with `resume` of the value. No thread waits meanwhile. A `register` that
/// throws undoes the suspension and the native returns `nil, err`.
func awaitValue<Value: Sendable>(
    _ lua: Lua, register: (@escaping @Sendable (Value) -> Void) throws(WippyError) -> Void,
    resume: @escaping (Lua, Value) -> Int32
) -> Int32 {
    let worker = LuaWorkerState.of(lua)
    guard let task = LuaTask.current(lua) else { return lua.raise("this call needs a running process") }
    if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
    let process = task.process
    let token = process.suspend(task) { thread, completion in
        guard case .custom(let box)? = completion, let value = box as? Value else {
            return worker.fail(.internal("wait ended without a result"), on: thread)
        }
        return resume(thread, value)
    }
    let cell = process.cell
    // Held until the completion is posted: the host owns the worker the cell points to.
    let host = cell.worker.host
    do throws(WippyError) {
        try register { value in
            withExtendedLifetime(host) { cell.worker.complete(cell, token: token, .custom(value)) }
        }
    } catch {
        process.cancelSuspension(task, token: token)
        return worker.fail(error, on: lua)
    }
    return lua.yieldToScheduler()
}
