/// A ``WorkflowSignalStore`` shared by several nodes (PostgreSQL): each non-final run is held by at most one
/// node at a time, through a lease timed by the store's clock and a fencing generation.
///
/// A node claims runs (``claim(node:host:limit:lease:readyWithin:completion:)``), renews its leases well within
/// their duration, and writes with the ``WorkflowFence`` its claim returned. When a node stops renewing
/// (killed, partitioned), its leases expire and another node's claim takes the runs over with a higher
/// generation; the stalled node's later writes are refused ("lease lost"), so two nodes never extend one
/// journal.
public protocol WorkflowLeaseStore: WorkflowSignalStore {
    /// Claims up to `limit` runs for `node` (of workflow host `host` only, when given): running runs that no node holds (no owner, or a lease that
    /// has expired) and that are ready: no wake time, a wake time at or before now + `readyWithin`, or a
    /// pending signal. Each claimed run's generation is raised by one and its lease runs for `lease` from
    /// the store's clock now. Concurrent claims (`FOR UPDATE SKIP LOCKED`) never return a run twice.
    func claim(
        node: String, host: String?, limit: Int, lease: Duration, readyWithin: Duration,
        completion: @escaping @Sendable (Result<[WorkflowClaim], WippyError>) -> Void)

    /// Extends to now + `lease` the leases `node` holds on `runs` (with the given fences); returns the runs
    /// it no longer holds (another node claimed them, they were released, or they ended), whose leases are
    /// left alone.
    func renew(
        node: String, _ runs: [WorkflowRunID: WorkflowFence], lease: Duration,
        completion: @escaping @Sendable (Result<[WorkflowRunID], WippyError>) -> Void)

    /// Gives up `node`'s hold on `runs` (those it still holds with the given fences): they become claimable
    /// at once, when ready (their wake time). Returns the runs it no longer held.
    func release(
        node: String, _ runs: [WorkflowRunID: WorkflowFence],
        completion: @escaping @Sendable (Result<[WorkflowRunID], WippyError>) -> Void)
}

/// A run a node claimed: its record, where its journal ends, its wake time, and the fence its writes carry.
public struct WorkflowClaim: Sendable, Equatable {
    public var record: WorkflowRecord
    public var fence: WorkflowFence
    /// The sequence number of the run's last journal event.
    public var lastSeq: UInt64
    public var wake: WorkflowWake

    public init(record: WorkflowRecord, fence: WorkflowFence, lastSeq: UInt64, wake: WorkflowWake) {
        self.record = record
        self.fence = fence
        self.lastSeq = lastSeq
        self.wake = wake
    }
}

extension WorkflowLeaseStore {
    /// Claims up to `limit` ready runs for `node`.
    public func claim(
        node: String, host: String? = nil, limit: Int, lease: Duration, readyWithin: Duration = .zero
    ) async throws(WippyError) -> [WorkflowClaim] {
        let result = await withCheckedContinuation { continuation in
            claim(node: node, host: host, limit: limit, lease: lease, readyWithin: readyWithin) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Renews `node`'s leases on `runs`; returns the runs it lost.
    public func renew(node: String, _ runs: [WorkflowRunID: WorkflowFence], lease: Duration) async throws(WippyError) -> [WorkflowRunID] {
        let result = await withCheckedContinuation { continuation in
            renew(node: node, runs, lease: lease) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Releases `node`'s hold on `runs`; returns the runs it no longer held.
    @discardableResult
    public func release(node: String, _ runs: [WorkflowRunID: WorkflowFence]) async throws(WippyError) -> [WorkflowRunID] {
        let result = await withCheckedContinuation { continuation in
            release(node: node, runs) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}
