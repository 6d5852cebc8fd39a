public import WippyCore
public import WippyLua

/// Blocking a task on something outside the process (a timer, another process, I/O).
extension LuaProcess {
    /// Blocks `task` until the completion with the returned token arrives (deliver it with
    /// `cell.worker.complete(cell, token:, _)` from any thread). `resume` pushes the results on the task's
    /// thread and returns their count; it runs on this worker.
    public func suspend(_ task: LuaTask, resume: @escaping (Lua, Completion?) -> Int32) -> UInt64 {
        let token = task.block()
        pending[token] = { completion in
            guard task.isWaiting(on: token) else { return }
            let count = resume(task.thread, completion)
            task.wake(arguments: count)
        }
        return token
    }

    /// ``suspend(_:resume:)`` for a wait that resumes `task` with a call's result the way call-style functions
    /// return it (``LuaWorkerState/pushResult(_:on:)``: `value` or `nil, err`), and with `nil, timeout` when the
    /// completion is a timer's (nil) and `timeout` is given. One closure per wait instead of two (a step of a
    /// workflow waits like this once).
    public func suspendForResult(_ task: LuaTask, onTimeout timeout: WippyError? = nil) -> UInt64 {
        let token = task.block()
        let state = workerState
        pending[token] = { completion in
            guard task.isWaiting(on: token) else { return }
            let count =
                if completion == nil, let timeout { state.fail(timeout, on: task.thread) } else { state.pushResult(completion, on: task.thread) }
            task.wake(arguments: count)
        }
        return token
    }

    /// Blocks `task` for `nanoseconds`; `resume` pushes the results when the timer fires.
    public func sleep(_ task: LuaTask, nanoseconds: UInt64, resume: @escaping (Lua) -> Int32) {
        let token = suspend(task) { thread, _ in resume(thread) }
        cell.worker.arm(cell, after: nanoseconds, token: token)
    }

    /// Blocks `task` for `nanoseconds`, then resumes it with no results. No handler is registered: the timer's
    /// token is the task's wait token, found again by ``wakeSleeper(token:)``.
    public func sleep(_ task: LuaTask, nanoseconds: UInt64) {
        let token = task.block()
        task.isSleeping = true
        // The cell through a guaranteed reference: loading the unowned(unsafe) field into a strong one would
        // cost a retain and a release on every sleep (as would the worker, see `armTimer`).
        Unmanaged.passUnretained(cell)._withUnsafeGuaranteedRef { $0.armTimer(after: nanoseconds, token: token) }
    }

    /// Wakes the task sleeping on `token`, if any; false when no task sleeps on it.
    func wakeSleeper(token: UInt64) -> Bool {
        // The main task through a guaranteed reference (the process holds it): no retain and release per wake-up.
        if let main = self.main.map(Unmanaged.passUnretained),
            main._withUnsafeGuaranteedRef({ task in
                guard task.isSleeping, task.isWaiting(on: token) else { return false }
                task.wake(arguments: 0)
                return true
            })
        {
            return true
        }
        for task in tasks where task.isSleeping && task.isWaiting(on: token) {
            task.wake(arguments: 0)
            return true
        }
        return false
    }

    /// Undoes a ``suspend(_:resume:)`` whose request could not be started, before the native returns: the
    /// task keeps running and the native returns its results normally.
    public func cancelSuspension(_ task: LuaTask, token: UInt64) {
        cancelPending(token)
        if task.isWaiting(on: token) {
            task.state = .running
            task.waitToken = 0
        }
    }

    /// Lets other tasks and processes run, then resumes `task` with no results.
    public func yieldTask(_ task: LuaTask) {
        task.state = .ready
        task.resumeArguments = 0
        readyQueue.append(task)
    }
}
