public import WippyCore

extension WorkflowEngine {
    /// Resumes paused workflow `id` (an activity ran out of retries under `retry_policy.on_exhausted: pause`):
    /// the activity is tried again. `completion` gets nil once the request reached the run, or why not.
    public func resume(workflowID id: String, completion: @escaping @Sendable (WippyError?) -> Void) {
        guard activeWorkflows.contains(id) else {
            return completion(WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
        }
        store.list(statuses: [.paused], limit: .max) { [self] listed in
            switch listed {
            case .failure(let error): completion(error)
            case .success(let records):
                guard records.contains(where: { $0.run.workflowID == id }) else {
                    return completion(WippyError("workflow \(id) is not paused", kind: .invalid, retryable: false))
                }
                let delivered = runtime.node.send(to: pid(of: id), .message(Message(from: nil, topic: WorkflowSession.resumeTopic, payloads: [])))
                completion(delivered ? nil : WippyError("workflow \(id) is not running in this runtime", kind: .notFound, retryable: false))
            }
        }
    }
}
