/// The supervision logic of one service, with no threads and no clock of its own: every event carries the
/// current time, and the machine answers with the actions its driver must carry out.
///
/// ```
/// unknown --start--> starting --started--> running
/// starting --failure--> failed --restart due--> starting      (while attempts remain)
/// starting --start timeout--> failed ("start timeout")
/// starting/running --normal or terminal exit--> exited        (not restarted)
/// running --failure--> failed --restart due--> starting
/// starting/running --stop--> stopping --exit--> stopped
/// stopping --stop timeout--> failed ("stop timeout after <d>") --exit--> stopped
/// ```
///
/// Runs are numbered; reports and timeouts name the run they are about, and the machine ignores those of a
/// run it is no longer waiting for. A start requested while a run is stopping starts a new run once the old
/// one has ended (how a restart is made).
public struct ServiceStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        /// Start run `run`; call ``startTimeoutElapsed(run:now:random:)`` after the start timeout.
        case start(run: Int)
        /// Ask run `run` to end; call ``stopTimeoutElapsed(run:now:)`` after the stop timeout.
        case stop(run: Int)
        /// End run `run` at once.
        case terminate(run: Int)
        /// Call ``restartDue(token:now:)`` with `token` after `delay`.
        case scheduleRestart(after: Duration, token: Int)
    }

    public private(set) var lifecycle: LifecycleConfig
    public private(set) var status: ServiceStatus = .unknown
    public private(set) var desired: ServiceStatus = .stopped
    /// Failed attempts in the current failure streak.
    public private(set) var retryCount = 0
    public private(set) var details = ""
    /// When the current run reached `running`.
    public private(set) var startedAt: ContinuousClock.Instant?
    /// When the status last changed.
    public private(set) var lastUpdate: ContinuousClock.Instant?
    /// The number of the latest run.
    public private(set) var run = 0
    /// The run whose end is still awaited, if any.
    public private(set) var liveRun: Int?
    private var restartToken: Int?
    private var tokens = 0

    public init(lifecycle: LifecycleConfig) {
        self.lifecycle = lifecycle
    }

    /// A restart is scheduled and has not fired yet.
    public var restartPending: Bool { restartToken != nil }

    /// A run is under way (starting, running, stopping, or ending after a stop timeout).
    public var isActive: Bool { liveRun != nil }

    /// Uses `lifecycle` from now on (timeouts, back-off); the current run is not affected.
    public mutating func reconfigure(_ lifecycle: LifecycleConfig) {
        self.lifecycle = lifecycle
    }

    /// A start was requested. An explicit start begins a new failure streak.
    public mutating func startRequested(now: ContinuousClock.Instant) -> [Action] {
        desired = .running
        if liveRun != nil || restartPending { return [] }
        retryCount = 0
        return beginRun(now: now)
    }

    /// Run `run` reported it is up.
    public mutating func started(run: Int, now: ContinuousClock.Instant) -> [Action] {
        guard liveRun == run, run == self.run, status == .starting else { return [] }
        startedAt = now
        details = ""
        set(.running, now: now)
        return []
    }

    /// Run `run` ended. `random` in [-1, 1] places the restart delay within its jitter.
    public mutating func exited(run: Int, _ exit: ServiceExit, now: ContinuousClock.Instant, random: Double) -> [Action] {
        guard liveRun == run else { return [] }
        liveRun = nil
        let ranFor = startedAt.map { now - $0 }
        startedAt = nil
        switch status {
        case .stopping, .failed:
            // A requested stop completed (possibly after its timeout); a restart request starts a new run.
            if status == .stopping { details = "" }
            set(.stopped, now: now)
            return desired == .running ? beginRun(now: now) : []
        case .starting, .running:
            switch exit {
            case .normal:
                details = ""
                set(.exited, now: now)
                return []
            case .terminal(let message):
                details = message
                set(.exited, now: now)
                return []
            case .failure(let message):
                return fail(message, ranFor: ranFor, now: now, random: random)
            }
        default:
            return []
        }
    }

    /// The start timeout of run `run` elapsed: if it is still starting, it failed.
    public mutating func startTimeoutElapsed(run: Int, now: ContinuousClock.Instant, random: Double) -> [Action] {
        guard liveRun == run, run == self.run, status == .starting else { return [] }
        liveRun = nil
        return [.terminate(run: run)] + fail("start timeout", ranFor: nil, now: now, random: random)
    }

    /// A stop was requested (shutdown, removal, restart): cancels a pending restart.
    public mutating func stopRequested(now: ContinuousClock.Instant) -> [Action] {
        desired = .stopped
        restartToken = nil
        switch status {
        case .starting, .running:
            set(.stopping, now: now)
            return [.stop(run: run)]
        case .failed where liveRun == nil:
            set(.stopped, now: now)
            return []
        default:
            return []
        }
    }

    /// The stop timeout of run `run` elapsed: if it is still stopping, the stop failed and the run is ended
    /// by force.
    public mutating func stopTimeoutElapsed(run: Int, now: ContinuousClock.Instant) -> [Action] {
        guard liveRun == run, run == self.run, status == .stopping else { return [] }
        details = "stop timeout after \(lifecycle.stopTimeout.goText)"
        set(.failed, now: now)
        return [.terminate(run: run)]
    }

    /// The restart scheduled with `token` is due.
    public mutating func restartDue(token: Int, now: ContinuousClock.Instant) -> [Action] {
        guard restartToken == token else { return [] }
        restartToken = nil
        guard desired == .running, status == .failed, liveRun == nil else { return [] }
        return beginRun(now: now)
    }

    /// A requested start cannot happen (a dependency will not come up, a cycle): the service is `failed`
    /// with `reason` and is not retried. No effect while a run is under way.
    public mutating func blocked(_ reason: String, now: ContinuousClock.Instant) {
        guard liveRun == nil else { return }
        desired = .running
        restartToken = nil
        details = reason
        set(.failed, now: now)
    }

    /// Run `run` reported a detail; true if it changed what is shown.
    public mutating func detailsReported(run: Int, _ text: String) -> Bool {
        guard liveRun == run, details != text else { return false }
        details = text
        return true
    }

    // MARK: - Steps

    private mutating func beginRun(now: ContinuousClock.Instant) -> [Action] {
        run += 1
        liveRun = run
        set(.starting, now: now)
        return [.start(run: run)]
    }

    /// A failed attempt: count it (a run that was stable first starts a new streak) and retry if allowed.
    private mutating func fail(_ message: String, ranFor: Duration?, now: ContinuousClock.Instant, random: Double) -> [Action] {
        if let ranFor, ranFor >= lifecycle.stableThreshold { retryCount = 0 }
        retryCount += 1
        let policy = lifecycle.restart
        guard policy.allowsRetry(after: retryCount) else {
            details = "\(message) (gave up after \(retryCount) attempts)"
            set(.failed, now: now)
            return []
        }
        details = message
        set(.failed, now: now)
        tokens += 1
        restartToken = tokens
        return [.scheduleRestart(after: policy.delay(attempt: retryCount, random: random), token: tokens)]
    }

    private mutating func set(_ status: ServiceStatus, now: ContinuousClock.Instant) {
        self.status = status
        lastUpdate = now
    }
}

extension Duration {
    /// Go-style text: `10s`, `1.5s`, `250ms`, `2m30s`.
    var goText: String {
        let nanos = nanosecondsClamped
        if nanos == 0 { return "0s" }
        if nanos % 1_000_000_000 == 0 {
            let seconds = nanos / 1_000_000_000
            if seconds >= 60 {
                let rest = seconds % 60
                return "\(seconds / 60)m" + (rest == 0 ? "0s" : "\(rest)s")
            }
            return "\(seconds)s"
        }
        if nanos < 1_000_000_000, nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)ms" }
        return "\(Double(nanos) / 1e9)s"
    }
}
