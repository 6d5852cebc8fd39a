/// What the supervisor knows about one service: published on every status change
/// (`supervisor`/`service.update`) and returned by ``Supervisor/states()``.
public struct ServiceState: Sendable, Equatable {
    public var id: EntryID
    public var status: ServiceStatus
    /// `running` after a start request, `stopped` after a stop request.
    public var desired: ServiceStatus
    public var retryCount: Int
    /// The last error, a blocked start's reason, or what the service reported.
    public var details: String
    /// Unix nanoseconds of the last status change (0 before any).
    public var lastUpdate: Int64
    /// Unix nanoseconds of the start of the current run, while it runs.
    public var startedAt: Int64?
    /// The services this one needs running first.
    public var dependencies: [EntryID]
    /// The process of the running instance, for process services.
    public var process: PID?

    public init(
        id: EntryID, status: ServiceStatus, desired: ServiceStatus = .stopped, retryCount: Int = 0, details: String = "",
        lastUpdate: Int64 = 0, startedAt: Int64? = nil, dependencies: [EntryID] = [], process: PID? = nil
    ) {
        self.id = id
        self.status = status
        self.desired = desired
        self.retryCount = retryCount
        self.details = details
        self.lastUpdate = lastUpdate
        self.startedAt = startedAt
        self.dependencies = dependencies
        self.process = process
    }
}
