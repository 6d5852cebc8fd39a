import WippyCodecs
import WippyCore
import WippyLua
import WippyRuntime

/// `time.sleep`, `time.after`, `time.timer` and `time.ticker`: the functions that involve the scheduler.
extension TimeNatives {
    /// The duration argument at index 1 for `function`, or a status: `nil, err` (Invalid, context
    /// `time.<function>`) for a bad value, and for a non-positive one unless `allowsZero`.
    private static func positiveDuration(
        _ lua: Lua, _ process: LuaProcess, _ function: String, allowsZero: Bool = false
    ) -> Result<GoDuration, EarlyReturn> {
        switch LuaDuration.argument(lua, at: 1) {
        case .failure(let error):
            return .failure(EarlyReturn(status: process.workerState.fail(error, context: "time.\(function)", on: lua)))
        case .success(let duration):
            if duration.nanoseconds <= 0 && !allowsZero {
                return .failure(EarlyReturn(status: process.workerState.fail(.invalid("time.\(function): duration must be > 0"), on: lua)))
            }
            return .success(duration)
        }
    }

    /// A durable timer in a workflow (`after`, `timer`, `ticker`): armed through the run's journal; its
    /// firings reach `handle`'s channel at block points.
    static func durable(
        _ lua: Lua, _ session: WorkflowSession, _ handle: TimerHandle, after nanoseconds: Int64
    ) -> Bool {
        let timer = WorkflowTimer(period: Int64(handle.period)) { handle.fireDurable() }
        handle.durable = timer
        return session.startTimer(timer, after: nanoseconds, from: lua)
    }

    static func noProcess(_ lua: Lua, _ function: String) -> Int32 {
        lua.raise("time.\(function) needs a running process")
    }

    /// `time.sleep(d)`: blocks the task for `d`; zero or negative durations still yield once.
    static let sleep: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let raw = lua.extraSpace else { return noProcess(lua, "sleep") }
        // Task and process through guaranteed references (the process holds its tasks; the worker holds the
        // process while it runs): a sleep then costs them no reference counting.
        return Unmanaged<LuaTask>.fromOpaque(raw)._withUnsafeGuaranteedRef { task in
            Unmanaged.passUnretained(task.process)._withUnsafeGuaranteedRef { process in sleep(lua, task, process) }
        }
    }

    private static func sleep(_ lua: Lua, _ task: LuaTask, _ process: LuaProcess) -> Int32 {
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        switch positiveDuration(lua, process, "sleep", allowsZero: true) {
        case .failure(let early): return early.status
        case .success(let duration):
            if let session = process.workflow { return session.sleep(task, from: lua, nanoseconds: Int64(duration.nanoseconds)) }
            if duration.nanoseconds <= 0 {
                process.yieldTask(task)
            } else {
                process.sleep(task, nanoseconds: UInt64(duration.nanoseconds))
            }
            return lua.yieldToScheduler()
        }
    }

    /// `time.after(d)`: a channel (buffer 1) that receives the fire time once and is then closed.
    static let after: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let process = LuaProcess.current(lua) else { return noProcess(lua, "after") }
        switch positiveDuration(lua, process, "after") {
        case .failure(let early): return early.status
        case .success(let duration):
            let channel = LuaChannel(capacity: 1, owner: process)
            let worker = process.workerState
            if let session = process.workflow {
                // The handle lives as long as its pending firing (held by the session's answer).
                let handle = TimerHandle(process: process, channel: channel)
                guard durable(lua, session, handle, after: Int64(duration.nanoseconds)) else { return lua.yieldToScheduler() }
                worker.push(channel, on: lua)
                return 1
            }
            worker.push(channel, on: lua)
            _ = process.armTimer(after: UInt64(duration.nanoseconds)) { [unowned process] _ in
                process.deliver(into: channel) { lua in LuaTime.pushNow(state: worker, on: lua) }
                process.closeChannel(channel)
            }
            return 1
        }
    }

    /// `time.timer(d)`: a Timer object whose channel (buffer 1) receives the fire time once and is then closed.
    static let timer: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let process = LuaProcess.current(lua) else { return noProcess(lua, "timer") }
        switch positiveDuration(lua, process, "timer") {
        case .failure(let early): return early.status
        case .success(let duration):
            let handle = TimerHandle(process: process, channel: LuaChannel(capacity: 1, owner: process))
            if let session = process.workflow {
                guard durable(lua, session, handle, after: Int64(duration.nanoseconds)) else { return lua.yieldToScheduler() }
            } else {
                handle.arm(after: UInt64(duration.nanoseconds))
            }
            TimerNatives.push(handle, tag: ModuleTags.timer, state: process.workerState, on: lua)
            return 1
        }
    }

    /// `time.ticker(d)`: a Ticker object whose channel (buffer 16) receives a Time every `d`; ticks that find
    /// the buffer full are dropped.
    static let ticker: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let process = LuaProcess.current(lua) else { return noProcess(lua, "ticker") }
        switch positiveDuration(lua, process, "ticker") {
        case .failure(let early): return early.status
        case .success(let duration):
            let period = UInt64(duration.nanoseconds)
            let handle = TimerHandle(process: process, channel: LuaChannel(capacity: 16, owner: process), period: period)
            if let session = process.workflow {
                guard durable(lua, session, handle, after: Int64(period)) else { return lua.yieldToScheduler() }
            } else {
                handle.arm(after: period)
            }
            TimerNatives.push(handle, tag: ModuleTags.ticker, state: process.workerState, on: lua)
            return 1
        }
    }
}
