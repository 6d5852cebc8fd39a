/// Durable storage of workflow runs and their journals: what an embedded engine (SQLite) or a cluster of
/// nodes (PostgreSQL) keeps so a run survives the process that ran it.
///
/// Writes never block their caller: ``submit(_:completion:)`` queues a ``WorkflowWrite`` and returns; the
/// store commits it with whatever else is pending and calls `completion` only once the commit is durable,
/// or with the reason the item was refused. Nothing may act on a write (reply, start a timer, run the
/// next step) before its completion says it is stored.
///
/// Completions run on the store's own thread: they must return quickly (post an event, resume a process)
/// and never wait for the store.
public protocol WorkflowStore: Sendable {
    /// Queues `write`; `completion` is called exactly once, after the commit that stored it, or with the
    /// error that refused it (a sequence that does not continue the journal, an unknown or finished run, a
    /// closed store, a failed disk).
    func submit(_ write: WorkflowWrite, completion: @escaping @Sendable (Result<Void, WippyError>) -> Void)

    /// Loads a run and its whole journal, checked: a journal with a missing, reordered or altered event is
    /// reported as an error naming the run and the sequence number, never returned shorter or changed.
    /// `completion` gets nil when no such run is recorded. It runs off the caller's thread.
    func load(_ run: WorkflowRunID, completion: @escaping @Sendable (Result<WorkflowRun?, WippyError>) -> Void)

    /// The records of the runs whose status is in `statuses` (every run when empty), oldest first, at most
    /// `limit`. Without journals: what recovery at boot and `wippy workflow list` need.
    func list(
        statuses: Set<WorkflowStatus>, limit: Int,
        completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void)

    /// Stops accepting writes, commits what is pending (its completions are called) and releases the store.
    /// Blocks until then; later submissions fail with `Unavailable`.
    func close()
}

extension WorkflowStore {
    /// Submits `write` and returns once it is durable.
    ///
    /// - Throws: the error that refused the write.
    public func write(_ write: WorkflowWrite) async throws(WippyError) {
        let result = await withCheckedContinuation { continuation in
            submit(write) { result in continuation.resume(returning: result) }
        }
        try result.get()
    }

    /// Loads `run` (nil when it is not recorded).
    ///
    /// - Throws: `Invalid` for a damaged journal, or the store's read error.
    public func load(_ run: WorkflowRunID) async throws(WippyError) -> WorkflowRun? {
        let result = await withCheckedContinuation { continuation in
            load(run) { result in continuation.resume(returning: result) }
        }
        return try result.get()
    }

    /// The records of the runs whose status is in `statuses` (every run when empty), oldest first.
    public func list(statuses: Set<WorkflowStatus> = [], limit: Int = .max) async throws(WippyError) -> [WorkflowRecord] {
        let result = await withCheckedContinuation { continuation in
            list(statuses: statuses, limit: limit) { result in continuation.resume(returning: result) }
        }
        return try result.get()
    }
}
