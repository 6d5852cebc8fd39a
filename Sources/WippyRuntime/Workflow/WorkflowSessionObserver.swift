public import WippyCore

/// What a workflow engine hears from the sessions of its runs (on their workers' threads).
public protocol WorkflowSessionObserver: AnyObject, Sendable {
    /// True once the host is stopping: its runs stay in flight (they resume at the next start), so what
    /// the shutdown does to their processes is not journaled.
    var isStopping: Bool { get }
    /// How long (nanoseconds) a parked run stays in memory before it is evicted; nil: never.
    var evictAfter: Int64? { get }
    /// The run's end is being written (`status`, `result`).
    func sessionEnding(_ session: WorkflowSession, status: WorkflowStatus, result: ProcessResult)
    func sessionBlocked(_ session: WorkflowSession, reason: String)
    /// The run paused for an operator (`reason`), or resumed (`reason` nil).
    func sessionPaused(_ session: WorkflowSession, reason: String?)
    /// A journal write failed: the run cannot go on here.
    func sessionFailed(_ session: WorkflowSession, error: WippyError)
    /// `poke` (callable from any thread) makes the session read the workflow's pending store signals, or leave.
    func sessionPokable(_ session: WorkflowSession, poke: @escaping @Sendable (WorkflowPoke) -> Void)
    /// The run leaves memory without ending (evicted): its process ends next.
    func sessionLeaving(_ session: WorkflowSession, reason: String)
    /// A mailbox item reached a run that is leaving memory: it must be kept for the run's next activation.
    func sessionRerouted(_ session: WorkflowSession, _ item: MailboxItem)
    /// A store signal asked for the run's termination.
    func sessionAskedToTerminate(_ session: WorkflowSession)
    /// The run's process is gone.
    func sessionGone(_ session: WorkflowSession)
    /// `process.upgrade` in the run (continue-as-new): the successor of `session`'s run, a new run of the same
    /// workflow with `entry`'s current code, `arguments` and `context`, starting with the `inherited` events
    /// (numbered from 2, after its start).
    func sessionSuccessor(
        _ session: WorkflowSession, entry: EntryID, arguments: [Payload], context: ExecutionContext, inherited: [JournalEvent]
    ) throws(WippyError) -> WorkflowSuccessor
    /// The write that ends `session`'s run as continued and creates `successor` is durable: the starter of the
    /// behaviour that replaces the run's process (same PID, mailbox and monitors) and carries the successor.
    func sessionContinued(_ session: WorkflowSession, as successor: WorkflowSuccessor, from process: LuaProcess) -> any ProcessStarter
}

extension WorkflowSessionObserver {
    public var evictAfter: Int64? { nil }
    public func sessionPaused(_ session: WorkflowSession, reason: String?) {}
    public func sessionPokable(_ session: WorkflowSession, poke: @escaping @Sendable (WorkflowPoke) -> Void) {}
    public func sessionLeaving(_ session: WorkflowSession, reason: String) {}
    public func sessionRerouted(_ session: WorkflowSession, _ item: MailboxItem) {}
    public func sessionAskedToTerminate(_ session: WorkflowSession) {}
    public func sessionGone(_ session: WorkflowSession) {}
}
