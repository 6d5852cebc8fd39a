/// Names one run of a workflow: the workflow id (chosen by the caller or generated) and the run id, which a
/// continue-as-new or a restart under a reuse policy changes while the workflow id stays.
public struct WorkflowRunID: Sendable, Hashable, CustomStringConvertible {
    public var workflowID: String
    public var runID: String

    public init(workflowID: String, runID: String) {
        self.workflowID = workflowID
        self.runID = runID
    }

    /// `workflow-id/run-id`, as errors and tools print it.
    public var description: String { "\(workflowID)/\(runID)" }
}
