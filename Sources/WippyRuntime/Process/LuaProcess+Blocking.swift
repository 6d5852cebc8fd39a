public import WippyCore
public import WippyLua

/// Work that waits (a lock, the disk, the network) done off the worker: the calling task is suspended, the
/// work runs on the runtime's ``BlockingPool``, and the task resumes on its own worker with the result.
/// Other processes of the worker, and other tasks of the process, run meanwhile.
extension LuaProcess {
    /// Suspends `task` while `work` runs on the runtime's blocking pool, then calls `resume` on this worker
    /// with the work's result; `resume` pushes what the native returns on the thread it is given and returns
    /// the count. Returns the status the native returns (`return process.performBlocking(...)`).
    ///
    /// - `work` runs on another thread: it must not touch Lua or anything of this worker; read the
    ///   arguments into Swift values first. A thrown `WippyError` reaches `resume` as `.failure`.
    /// - When the calling code cannot yield (`lua` is inside a C call such as a `table.sort` comparator),
    ///   nothing is started and the usual "attempt to yield across a C-call boundary" error is raised.
    /// - When the process (or the task) ends while the work runs, the work still finishes but its result is
    ///   dropped: `resume` is not called.
    /// - When the runtime is shutting down, `resume` gets an `Unavailable` error without the work running.
    public func performBlocking<Value: Sendable>(
        _ task: LuaTask, from lua: Lua,
        work: @escaping @Sendable () throws(WippyError) -> Value,
        resume: @escaping (Lua, Result<Value, WippyError>) -> Int32
    ) -> Int32 {
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let token = suspend(task) { thread, completion in
            guard case .custom(let value)? = completion, let outcome = value as? BlockingOutcome<Value> else {
                return resume(thread, .failure(.internal("blocking work ended without a result")))
            }
            return resume(thread, outcome.result)
        }
        let cell = self.cell
        // Held until the completion is posted: the host owns the worker the cell points to.
        let host = cell.worker.host
        workerState.runtime.blockingPool.submit { active in
            let result: Result<Value, WippyError>
            if active {
                do throws(WippyError) {
                    result = .success(try work())
                } catch {
                    result = .failure(error)
                }
            } else {
                result = .failure(.unavailable("the runtime is shutting down"))
            }
            withExtendedLifetime(host) {
                cell.worker.complete(cell, token: token, .custom(BlockingOutcome(result: result)))
            }
        }
        return lua.yieldToScheduler()
    }
}

/// The result of a ``LuaProcess/performBlocking(_:from:work:resume:)`` on its way back to the worker.
struct BlockingOutcome<Value: Sendable>: Sendable {
    let result: Result<Value, WippyError>
}
