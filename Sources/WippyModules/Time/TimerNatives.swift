import WippyCodecs
import WippyCore
import WippyLua
import WippyRuntime

/// Methods of Timer and Ticker objects (`:response()`/`:channel()`, `:stop()`, `:reset(d)`).
enum TimerNatives {
    /// Pushes a Timer or Ticker object for `handle`, with its channel as user value 1.
    static func push(_ handle: TimerHandle, tag: UserdataTag, state: LuaWorkerState, on lua: Lua) {
        state.push(handle.channel, on: lua)
        RetainedObject.push(handle, tag: tag, userValues: 1, state: state, on: lua)
        lua.insert(at: -2)
        lua.setUserValue(-2, 1)
    }

    /// The handle of the Timer (or Ticker) at index 1 and the calling process, which must own it.
    private static func operands(_ lua: Lua, _ tag: UserdataTag) -> Result<(TimerHandle, LuaProcess), EarlyReturn> {
        guard let handle = RetainedObject.object(at: 1, tag: tag, in: lua, as: TimerHandle.self) else {
            return .failure(EarlyReturn(status: lua.typeError(1, expected: tag == ModuleTags.timer ? "Timer" : "Ticker")))
        }
        guard let process = LuaProcess.current(lua), handle.process === process else {
            return .failure(EarlyReturn(status: lua.raise("timer belongs to another process")))
        }
        return .success((handle, process))
    }

    static let timerChannel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.timer) != nil else { return lua.typeError(1, expected: "Timer") }
        lua.getUserValue(1, 1)
        return 1
    }

    static let tickerChannel: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.ticker) != nil else { return lua.typeError(1, expected: "Ticker") }
        lua.getUserValue(1, 1)
        return 1
    }

    /// `timer:stop()`: true if the timer had not fired yet; closes the channel.
    static let timerStop: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch operands(lua, ModuleTags.timer) {
        case .failure(let early): return early.status
        case .success(let (handle, process)):
            var wasPending = handle.cancel()
            if let timer = handle.durable, let session = process.workflow {
                guard let stopped = session.stopTimer(timer, from: lua) else { return lua.yieldToScheduler() }
                wasPending = stopped
            }
            process.closeChannel(handle.channel)
            lua.push(wasPending)
            return 1
        }
    }

    /// `ticker:stop()`: always true; closes the channel.
    static let tickerStop: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch operands(lua, ModuleTags.ticker) {
        case .failure(let early): return early.status
        case .success(let (handle, process)):
            _ = handle.cancel()
            if let timer = handle.durable, let session = process.workflow {
                guard session.stopTimer(timer, from: lua) != nil else { return lua.yieldToScheduler() }
            }
            process.closeChannel(handle.channel)
            lua.push(true)
            return 1
        }
    }

    /// `timer:reset(d)`: re-arms for `d` from now; true if the old fire was still pending (it is discarded).
    /// A bad or non-positive duration raises. A timer whose channel is already closed (fired or stopped) stays
    /// silent.
    static let timerReset: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch operands(lua, ModuleTags.timer) {
        case .failure(let early): return early.status
        case .success(let (handle, process)):
            let duration: GoDuration
            switch LuaDuration.argument(lua, at: 2) {
            case .success(let value): duration = value
            case .failure(let error): return lua.argumentError(2, error.message)
            }
            guard duration.nanoseconds > 0 else { return lua.argumentError(2, "duration must be > 0") }
            if let timer = handle.durable, let session = process.workflow {
                // Journaled: the pending firing is canceled, and (unless the channel is closed) a new timer armed.
                guard let wasPending = session.stopTimer(timer, from: lua) else { return lua.yieldToScheduler() }
                if !handle.channel.isClosed, !session.startTimer(timer, after: Int64(duration.nanoseconds), from: lua) {
                    return lua.yieldToScheduler()
                }
                lua.push(wasPending)
                return 1
            }
            if process.workflow != nil {
                // A workflow's timer that fired or was stopped: its channel is closed, it stays silent.
                lua.push(false)
                return 1
            }
            let wasPending = handle.cancel()
            handle.arm(after: UInt64(duration.nanoseconds))
            lua.push(wasPending)
            return 1
        }
    }

    static let collectTimer: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.timer, as: TimerHandle.self)
    }

    static let collectTicker: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.ticker, as: TimerHandle.self)
    }
}
