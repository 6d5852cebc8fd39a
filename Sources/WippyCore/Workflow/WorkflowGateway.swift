/// What a node asks of a workflow engine for the workflow PIDs of its host: messages, cancellation and
/// termination of runs that may not be in memory right now (parked, recovering, or never loaded here).
public protocol WorkflowGateway: AnyObject, Sendable {
    /// Delivers a message (a signal) to workflow `id`; `completion` gets nil once it is durable, or the error
    /// (`NotFound` for an unknown or finished workflow).
    func signal(workflowID id: String, _ message: Message, completion: @escaping @Sendable (WippyError?) -> Void)

    /// Asks workflow `id` to cancel (a CANCEL event) or ends it at once (`terminate`).
    func cancel(workflowID id: String, from: PID?, reason: String, terminate: Bool, completion: @escaping @Sendable (WippyError?) -> Void)
}
