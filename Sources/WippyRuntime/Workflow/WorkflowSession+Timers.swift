import WippyCore
public import WippyLua

/// A durable channel timer of a workflow (`time.after`, `time.timer`, `time.ticker`): each arming is a
/// journaled `timer` command, its firing a journaled `fired` event handed to ``fire`` at a block point, and
/// `stop` a journaled `cancel_timer`. A ticker is a timer armed again at each tick.
public final class WorkflowTimer {
    /// Nanoseconds between ticks; 0 for a one-shot timer.
    public let period: Int64
    /// Delivers a firing (the channel's side); returns false when a ticker should stop (its channel closed).
    let fire: () -> Bool
    /// The seq of the pending `timer` command; nil when none is pending.
    public fileprivate(set) var pending: UInt64?
    /// The workflow time the pending (or last) arming fires at.
    fileprivate var fireAt: Int64 = 0

    public init(period: Int64 = 0, fire: @escaping () -> Bool) {
        self.period = period
        self.fire = fire
    }
}

extension WorkflowSession {
    /// Arms `timer` to fire `nanoseconds` after the workflow clock. False when the code diverged (the
    /// caller must yield for good). `lua` is nil when the session re-arms a ticker itself.
    @discardableResult
    public func startTimer(_ timer: WorkflowTimer, after nanoseconds: Int64, from lua: Lua?) -> Bool {
        let fireAt = now + max(nanoseconds, 0)
        let issued = issue(.timer(duration: nanoseconds, fireAt: fireAt), from: lua) { [unowned(unsafe) self] seq, recorded in
            self.armTimer(seq, fireAt: recorded?["fire_at"]?.intValue ?? fireAt)
        }
        let seq: UInt64
        switch issued {
        case .replayed(let recordedSeq, let recorded, _):
            seq = recordedSeq
            timer.fireAt = recorded["fire_at"]?.intValue ?? fireAt
        case .new(let newSeq):
            seq = newSeq
            timer.fireAt = fireAt
        case .blocked:
            return false
        }
        timer.pending = seq
        onAnswer(seq) { [unowned(unsafe) self, timer] _ in
            timer.pending = nil
            guard timer.fire(), timer.period > 0 else { return }
            // The next tick, on the workflow clock; ticks already missed (a long downtime) are skipped.
            var next = timer.fireAt + timer.period
            if next <= self.now { next += timer.period * ((self.now - next) / timer.period + 1) }
            self.startTimer(timer, after: next - self.now, from: nil)
        }
        return true
    }

    /// Stops `timer`: its pending firing is dropped (a `cancel_timer` is journaled for it). Returns whether
    /// one was pending, or nil when the code diverged.
    public func stopTimer(_ timer: WorkflowTimer, from lua: Lua) -> Bool? {
        guard let seq = timer.pending else { return false }
        timer.pending = nil
        dropAnswer(seq)
        effects.stoppedTimers.insert(seq)
        if case .blocked = issue(.cancelTimer(seq: seq), from: lua, act: { _, _ in }) { return nil }
        return true
    }
}
