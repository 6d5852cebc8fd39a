import WippyCore
import WippyLua
import WippyRuntime

/// The state behind a `time.timer` or `time.ticker` object: its channel and the pending wake-up.
///
/// Lives on the owning process's worker. The pending wake-up (in the process's table of pending requests)
/// holds the handle strongly, so a timer whose object was dropped still fires into its channel; the process
/// drops every pending request when it ends.
final class TimerHandle {
    /// The owning process; nil once it is gone.
    weak var process: LuaProcess?
    let channel: LuaChannel
    /// Ticker period in nanoseconds; 0 for a one-shot timer.
    let period: UInt64
    /// Token of the pending wake-up; 0 when none.
    private(set) var token: UInt64 = 0
    /// Monotonic deadline of the next tick (tickers).
    private var deadline: UInt64 = 0
    /// In a workflow: the durable timer behind this handle while a firing is pending (its firings come
    /// through the run's journal). The session holds it while pending, and it holds this handle.
    weak var durable: WorkflowTimer?

    init(process: LuaProcess, channel: LuaChannel, period: UInt64 = 0) {
        self.process = process
        self.channel = channel
        self.period = period
    }

    /// Whether a fire is still pending.
    var isPending: Bool { token != 0 }

    /// Arms the first fire `nanoseconds` from now.
    func arm(after nanoseconds: UInt64) {
        guard let process else { return }
        if period == 0 {
            token = process.armTimer(after: nanoseconds) { [self] _ in fire() }
        } else {
            deadline = MonotonicClock.now() &+ nanoseconds
            armTick(process)
        }
    }

    /// Drops the pending fire; returns whether there was one.
    func cancel() -> Bool {
        guard token != 0 else { return false }
        process?.cancelPending(token)
        token = 0
        return true
    }

    /// A durable firing, at a block point: the workflow clock into the channel (dropped when a ticker's
    /// buffer is full); a one-shot timer then closes its channel. Returns whether a ticker goes on.
    func fireDurable() -> Bool {
        guard let process, !channel.isClosed else { return false }
        let state = process.workerState
        process.deliver(into: channel) { lua in LuaTime.pushNow(state: state, on: lua) }
        guard period > 0 else {
            process.closeChannel(channel)
            return false
        }
        return true
    }

    private func armTick(_ process: LuaProcess) {
        token = process.expectCompletion { [self] _ in fire() }
        process.cell.worker.arm(process.cell, at: deadline, token: token)
    }

    /// Delivers the fire time into the channel (dropped when a ticker's buffer is full); a one-shot timer then
    /// closes its channel, a ticker re-arms, skipping ticks it is already late for.
    private func fire() {
        token = 0
        guard let process, !channel.isClosed else { return }
        let state = process.workerState
        process.deliver(into: channel) { lua in LuaTime.pushNow(state: state, on: lua) }
        guard period > 0 else {
            process.closeChannel(channel)
            return
        }
        let now = MonotonicClock.now()
        deadline &+= period
        if deadline <= now { deadline &+= period &* ((now &- deadline) / period &+ 1) }
        armTick(process)
    }
}
