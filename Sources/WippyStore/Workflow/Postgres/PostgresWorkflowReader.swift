public import WippyCore

/// Reads a PostgreSQL workflow store for `wippy workflow list|show`: the store's own queries, waited for on
/// the calling thread (the store runs them on its event loop thread, never the caller's).
public final class PostgresWorkflowReader: WorkflowReader {
    private let store: PostgresWorkflowStore

    /// Connects (and checks the tables' version).
    ///
    /// - Throws: `Unavailable` when the server cannot be reached, `Invalid` for tables of another version.
    public init(settings: PostgresConnectionSettings) throws(WippyError) {
        store = try PostgresWorkflowStore(settings: settings)
    }

    public func summaries(statuses: Set<WorkflowStatus>, limit: Int) throws(WippyError) -> [WorkflowRunSummary] {
        try waitForCompletion { self.store.summaries(statuses: statuses, workflowID: nil, limit: limit, completion: $0) }.get()
    }

    public func summaries(workflowID: String) throws(WippyError) -> [WorkflowRunSummary] {
        try waitForCompletion { self.store.summaries(statuses: [], workflowID: workflowID, limit: .max, completion: $0) }.get()
    }

    public func load(_ run: WorkflowRunID) throws(WippyError) -> WorkflowRun? {
        try waitForCompletion { self.store.load(run, completion: $0) }.get()
    }

    public func close() { store.close() }
}
