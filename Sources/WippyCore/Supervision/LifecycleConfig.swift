/// The `lifecycle` block of a supervised entry.
public struct LifecycleConfig: Sendable, Equatable {
    public var autoStart: Bool
    public var startTimeout: Duration
    public var stopTimeout: Duration
    /// A run at least this long resets the retry count.
    public var stableThreshold: Duration
    /// Services that must run first (`requires` and `depends_on`, resolved to IDs).
    public var requires: [EntryID]
    public var restart: RestartPolicy

    public init(
        autoStart: Bool = false, startTimeout: Duration = .seconds(10), stopTimeout: Duration = .seconds(10),
        stableThreshold: Duration = .seconds(5), requires: [EntryID] = [], restart: RestartPolicy = RestartPolicy()
    ) {
        self.autoStart = autoStart
        self.startTimeout = startTimeout
        self.stopTimeout = stopTimeout
        self.stableThreshold = stableThreshold
        self.requires = requires
        self.restart = restart
    }
}
