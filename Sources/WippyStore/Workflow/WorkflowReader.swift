public import WippyCore

/// What `wippy workflow list|show` read from a workflow store, blocking (a command-line tool, not the
/// runtime): run summaries and journals. ``SQLiteWorkflowReader`` reads a file read-only;
/// ``PostgresWorkflowReader`` reads a shared database.
public protocol WorkflowReader: Sendable {
    /// The runs whose status is in `statuses` (every run when empty), oldest first, at most `limit`.
    func summaries(statuses: Set<WorkflowStatus>, limit: Int) throws(WippyError) -> [WorkflowRunSummary]
    /// The runs of workflow `workflowID`, oldest first.
    func summaries(workflowID: String) throws(WippyError) -> [WorkflowRunSummary]
    /// A run and its checked journal (nil when not recorded).
    func load(_ run: WorkflowRunID) throws(WippyError) -> WorkflowRun?
    func close()
}

extension SQLiteWorkflowReader: WorkflowReader {}
