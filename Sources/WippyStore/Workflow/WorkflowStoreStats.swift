/// How much a workflow store's writer has done: commits against items shows how well writes are grouped.
public struct WorkflowStoreStats: Sendable, Equatable {
    /// Transactions committed.
    public var commits = 0
    /// Writes and signals taken from the queue (stored or refused).
    public var items = 0
    /// Items refused or failed.
    public var failedItems = 0
    /// Journal events stored.
    public var events = 0
    /// Signals recorded.
    public var signals = 0
    /// The most items committed in one transaction.
    public var largestBatch = 0
    /// Commits the SQLite writer flushed and acknowledged itself (nothing queued behind them); the others
    /// were handed to its syncer thread. Always 0 on PostgreSQL.
    public var commitsFlushedByWriter = 0

    public init() {}
}
