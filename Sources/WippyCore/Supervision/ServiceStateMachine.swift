/// The supervision logic of one service, with no threads and no clock of its own: every event carries the
/// current time, and the machine answers with the action the driver must carry out.
public struct ServiceStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        case none
        /// Start the service now.
        case start
        /// Call back with ``restartDue(now:)`` after this delay.
        case scheduleRestart(after: Duration)
        /// Ask the service to stop.
        case stop
    }

    /// How a run ended.
    public enum Exit: Sendable, Equatable {
        /// Returned normally: the service is done and is not restarted.
        case normal
        /// Failed with an error: restarted according to the policy.
        case failure(String)
        /// Failed with an error marked not retryable (or cancelled): done.
        case terminal(String)
    }

    public let policy: RestartPolicy
    public let stableThreshold: Duration
    public private(set) var status: ServiceStatus = .unknown
    public private(set) var desired: ServiceStatus = .stopped
    public private(set) var retryCount = 0
    public private(set) var details = ""
    public private(set) var startedAt: ContinuousClock.Instant?
    private var restartPending = false

    public init(policy: RestartPolicy, stableThreshold: Duration) {
        self.policy = policy
        self.stableThreshold = stableThreshold
    }

    /// A start was requested.
    public mutating func startRequested(now: ContinuousClock.Instant) -> Action {
        desired = .running
        switch status {
        case .starting, .running: return .none
        default:
            if restartPending { return .none }
            status = .starting
            return .start
        }
    }

    /// The service reported it is running.
    public mutating func started(now: ContinuousClock.Instant) -> Action {
        guard status == .starting else { return .none }
        status = .running
        startedAt = now
        details = ""
        return desired == .stopped ? stopNow() : .none
    }

    /// The service ended (or failed to start).
    public mutating func exited(_ exit: Exit, now: ContinuousClock.Instant) -> Action {
        let wasStopping = status == .stopping || desired == .stopped
        if let startedAt, now - startedAt >= stableThreshold { retryCount = 0 }
        startedAt = nil
        switch exit {
        case .normal:
            status = wasStopping ? .stopped : .exited
            details = ""
            return .none
        case .terminal(let message):
            status = wasStopping ? .stopped : .exited
            details = message
            return .none
        case .failure(let message):
            details = message
            if wasStopping {
                status = .stopped
                return .none
            }
            status = .failed
            retryCount += 1
            guard policy.allowsRetry(after: retryCount) else { return .none }
            restartPending = true
            return .scheduleRestart(after: policy.delay(attempt: retryCount, random: Double.random(in: -1...1)))
        }
    }

    /// A scheduled restart is due.
    public mutating func restartDue(now: ContinuousClock.Instant) -> Action {
        guard restartPending else { return .none }
        restartPending = false
        guard desired == .running, status == .failed else { return .none }
        status = .starting
        return .start
    }

    /// A stop was requested (shutdown, removal).
    public mutating func stopRequested() -> Action {
        desired = .stopped
        restartPending = false
        switch status {
        case .running, .starting: return stopNow()
        case .failed:
            status = .stopped
            return .none
        default: return .none
        }
    }

    /// The stop did not finish in time.
    public mutating func stopTimedOut(after timeout: Duration) {
        guard status == .stopping else { return }
        status = .failed
        details = "stop timeout after \(timeout)"
    }

    private mutating func stopNow() -> Action {
        status = .stopping
        return .stop
    }
}
