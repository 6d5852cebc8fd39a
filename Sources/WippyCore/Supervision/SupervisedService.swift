/// Something the supervisor keeps running: a service process, a host, a server.
public protocol SupervisedService: AnyObject, Sendable {
    /// Starts one run. `exited` must be called exactly once when the run ends (at once if starting failed).
    func start(exited: @escaping @Sendable (ServiceStateMachine.Exit) -> Void)
    /// Asks the current run to end gracefully; force it after `timeout`.
    func stop(timeout: Duration)
}

/// Schedules delayed work for the supervisor (real time, or a manual clock in tests).
public protocol SupervisorTimer: Sendable {
    var now: ContinuousClock.Instant { get }
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void)
}

/// A status change of a supervised service, for logs and events.
public struct ServiceStateChange: Sendable {
    public var id: EntryID
    public var status: ServiceStatus
    public var details: String
    public var retryCount: Int
}
