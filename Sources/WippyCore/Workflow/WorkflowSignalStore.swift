/// A ``WorkflowStore`` that also keeps signals and timers as rows, so a workflow parked in memory-less
/// state (evicted, or its node gone) still gets them: signals are recorded durably when no node runs the
/// workflow, and the runs whose timers are due can be found.
///
/// Delivery is exactly once: an engine reads a run's pending signals (``pendingSignals(workflowID:limit:completion:)``),
/// journals their delivery, and names them in that write's ``WorkflowWrite/takeSignals``; the store takes
/// them in the same transaction as the journal events, or refuses the whole write.
public protocol WorkflowSignalStore: WorkflowStore {
    /// Records a signal for workflow `workflowID`; `completion` gets its id once it is durable. Refused
    /// (`NotFound`) when no run of the workflow is recorded, and (`Conflict`) when every run of it has ended.
    func signal(
        workflowID: String, topic: String, sender: String, payload: [UInt8],
        completion: @escaping @Sendable (Result<UInt64, WippyError>) -> Void)

    /// The pending signals of `workflowID`, in the order they were recorded, at most `limit`.
    func pendingSignals(
        workflowID: String, limit: Int, completion: @escaping @Sendable (Result<[WorkflowSignal], WippyError>) -> Void)

    /// The non-final runs whose wake time (``WorkflowWrite/wake``) is at or before `before` (Unix
    /// milliseconds; nil: the store's clock now, the database's for a shared store), earliest first, at most
    /// `limit`. Runs parked on signals only (``WorkflowWake/onSignal``) are never due.
    func dueRuns(before: Int64?, limit: Int, completion: @escaping @Sendable (Result<[WorkflowDueRun], WippyError>) -> Void)

    /// The runs that need a node now: status `running`, and a wake time that is absent (work now) or at or
    /// before `before` (Unix milliseconds; nil: the store's clock now), or a pending signal. With
    /// `workflowIDs`, only runs of those workflows. Oldest first, at most `limit`.
    func readyRuns(
        before: Int64?, workflowIDs: [String]?, limit: Int,
        completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void)

    /// Every run of workflow `workflowID` (any status), oldest first.
    func runs(workflowID: String, completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void)

    /// The workflows that have pending signals, at most `limit` (a sweep that finds what a lost hint missed).
    func signaledWorkflows(limit: Int, completion: @escaping @Sendable (Result<[String], WippyError>) -> Void)

    /// Hints that workflows have new work (a new stream per call; it ends when the store closes). A hint may
    /// be lost: poll as well.
    func wakeups() -> AsyncStream<WorkflowWakeup>
}

extension WorkflowSignalStore {
    /// Records a signal; returns its id once it is durable.
    public func signal(workflowID: String, topic: String, sender: String, payload: [UInt8]) async throws(WippyError) -> UInt64 {
        let result = await withCheckedContinuation { continuation in
            signal(workflowID: workflowID, topic: topic, sender: sender, payload: payload) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// The pending signals of `workflowID`, oldest first.
    public func pendingSignals(workflowID: String, limit: Int = .max) async throws(WippyError) -> [WorkflowSignal] {
        let result = await withCheckedContinuation { continuation in
            pendingSignals(workflowID: workflowID, limit: limit) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// The runs that need a node now (see ``readyRuns(before:workflowIDs:limit:completion:)``).
    public func readyRuns(before: Int64? = nil, workflowIDs: [String]? = nil, limit: Int = .max) async throws(WippyError) -> [WorkflowRecord] {
        let result = await withCheckedContinuation { continuation in
            readyRuns(before: before, workflowIDs: workflowIDs, limit: limit) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// The runs due at `before` (nil: now by the store's clock), earliest first.
    public func dueRuns(before: Int64? = nil, limit: Int = .max) async throws(WippyError) -> [WorkflowDueRun] {
        let result = await withCheckedContinuation { continuation in
            dueRuns(before: before, limit: limit) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}
