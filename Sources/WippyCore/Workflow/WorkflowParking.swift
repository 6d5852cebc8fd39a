/// What a run in memory waits for, and so when it next needs a node: the wake time its writes carry
/// (``WorkflowWrite/wake``) and whether it has been parked long enough to leave memory.
///
/// A plain state machine (no clock, no threads): the session tells it what it started and what ended, and
/// asks with the current time.
public struct WorkflowParking: Sendable, Equatable {
    /// Durable timers armed and not yet fired: their firing times, Unix nanoseconds, by command seq.
    public private(set) var timers: [UInt64: Int64] = [:]
    /// Activities (and other answers a node must produce) in flight, by command seq.
    public private(set) var activities = TokenSet()
    /// When the run last did something (Unix nanoseconds).
    public private(set) var lastActive: Int64 = 0

    public init() {}

    public mutating func timerArmed(_ seq: UInt64, fireAt: Int64) { timers[seq] = fireAt }
    public mutating func timerEnded(_ seq: UInt64) { timers[seq] = nil }
    public mutating func activityStarted(_ seq: UInt64) { activities.insert(seq) }
    public mutating func activityEnded(_ seq: UInt64) { activities.remove(seq) }
    /// The run did something at `now`: it is not idle.
    public mutating func active(at now: Int64) { lastActive = max(lastActive, now) }

    /// When the run next needs a node, given whether it has work now (a task that can run, an event not
    /// yet delivered): now while it works or an activity runs; else its earliest timer; else a signal.
    public func wake(hasWork: Bool) -> WorkflowWake {
        if hasWork || !activities.isEmpty { return .now }
        if let earliest = timers.values.min() {
            // Rounded down: a node takes the run at or before the timer, never after it.
            return .at(milliseconds: earliest.floorDivided(by: 1_000_000))
        }
        return .onSignal
    }

    /// Nanoseconds until the run, idle since ``lastActive``, has been parked for `idle`; zero or less when
    /// it has. Nil while it cannot leave memory (it has work or an activity in flight).
    public func untilEvictable(now: Int64, idle: Int64, hasWork: Bool) -> Int64? {
        guard !hasWork && activities.isEmpty else { return nil }
        return lastActive + idle - now
    }
}

extension Int64 {
    /// Division rounding toward negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
