/// What a process does: the scheduler steps it, feeds it mailbox items, timers and completions.
///
/// Every method is called on the worker thread that owns the process, never concurrently. A behaviour never
/// blocks the thread: when it has nothing to do it returns ``ProcessRunOutcome/blocked`` and waits for an
/// event that makes one of the notification methods return `true`.
public protocol ProcessBehavior: AnyObject {
    /// Runs until every task is blocked, the process finished, or its time slice is used up.
    func run(_ process: ProcessCell) -> ProcessRunOutcome

    /// An item arrives. The behaviour may take it at once (a task is waiting for exactly this): then it
    /// returns `.taken(schedule:)` and the item never enters the mailbox. Otherwise `.declined(schedule:)`
    /// and the item is appended to the mailbox.
    func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome

    /// Items were appended to the mailbox before the behaviour existed (it just started). Returns true when
    /// the process should be scheduled.
    func mailboxReceived(_ process: ProcessCell) -> Bool

    /// A timer armed with ``Worker/arm(_:after:token:)`` fired. Returns true to schedule the process.
    func timerFired(_ process: ProcessCell, token: UInt64) -> Bool

    /// A completion posted with ``Worker/complete(_:token:_:)`` arrived. Returns true to schedule the process.
    func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool

    /// The process ended with `result` (it returned, failed or was terminated); ``discard(_:)`` follows. Not
    /// called when a behaviour is replaced (an upgrade) or never started.
    func exited(_ process: ProcessCell, result: ProcessResult)

    /// The process is being removed without finishing normally (terminate, host shutdown, failed start).
    /// Release resources; the process will not run again.
    func discard(_ process: ProcessCell)
}

extension ProcessBehavior {
    public func exited(_ process: ProcessCell, result: ProcessResult) {}
}

/// What a behaviour did with an offered mailbox item.
public enum OfferOutcome {
    /// Consumed directly; `schedule` says whether the process should run.
    case taken(schedule: Bool)
    /// Not wanted now: append it to the mailbox; `schedule` says whether the process should run anyway.
    case declined(schedule: Bool)
}

/// The result of one ``ProcessBehavior/run(_:)``.
public enum ProcessRunOutcome {
    /// Waiting for an event.
    case blocked
    /// More work to do: put it back in the run queue (a preempted or voluntarily yielding process).
    case runnable
    /// Done.
    case finished(ProcessResult)
    /// Replace this behaviour with a new one made by the starter (an upgrade): same PID, mailbox, links,
    /// monitors and names; the old behaviour is discarded first. If the new one cannot start, the process
    /// fails with that error.
    case replace(any ProcessStarter)
}

/// The answer to an asynchronous request a process made.
public enum Completion: Sendable {
    case values([Payload])
    case failure(WippyError)
    case result(ProcessResult)
    case custom(any Sendable)
}

/// Creates a process's behaviour on its worker thread, when the process first runs.
///
/// Class-bound so a waiting process holds one reference, not an existential box.
public protocol ProcessStarter: AnyObject, Sendable {
    /// Builds the behaviour; throwing makes the process end at once with that error.
    func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior
    /// Called on the process's worker thread when the process ends before it ever started (terminated or
    /// cancelled while queued): a starter holding worker-local resources (start arguments kept in the
    /// worker's Lua state) gives them back here, since it is then dropped without ``makeBehavior(for:)``.
    func abandon(_ process: ProcessCell)
    /// A starter that can start the not-yet-started `process` on another worker of its host (an idle worker
    /// takes it over), or nil to keep it where it is. Called on the process's current worker thread; a starter
    /// holding resources of that worker turns them into ones any worker can use (or answers nil). The default
    /// is nil: only starters that say so are moved.
    func relocatable(from process: ProcessCell) -> (any ProcessStarter)?
}

extension ProcessStarter {
    public func abandon(_ process: ProcessCell) {}
    public func relocatable(from process: ProcessCell) -> (any ProcessStarter)? { nil }
}
