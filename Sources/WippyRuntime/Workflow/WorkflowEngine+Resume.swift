public import WippyCore

extension WorkflowEngine {
    /// Resumes paused workflow `id` (an activity ran out of retries under `retry_policy.on_exhausted: pause`):
    /// the activity is tried again. `completion` gets nil once the request reached the run, or why not.
    public func resume(workflowID id: String, completion: @escaping @Sendable (WippyError?) -> Void) {
        store.list(statuses: [.paused], limit: .max) { [self] listed in
            switch listed {
            case .failure(let error): completion(error)
            case .success(let records):
                guard let paused = records.first(where: { $0.run.workflowID == id && isOwnHost($0) }) else {
                    let known = activeWorkflows.contains(id)
                    return completion(
                        known
                            ? WippyError("workflow \(id) is not paused", kind: .invalid, retryable: false)
                            : WippyError("workflow not found or not running: \(id)", kind: .notFound, retryable: false))
                }
                guard activeWorkflows.contains(id) else { return resumeAway(paused, completion: completion) }
                let delivered = runtime.node.send(to: pid(of: id), .message(Message(from: nil, topic: WorkflowSession.resumeTopic, payloads: [])))
                completion(delivered ? nil : WippyError("workflow \(id) is not running in this runtime", kind: .notFound, retryable: false))
            }
        }
    }

    /// Resumes a paused run that is not in memory here (the runtime restarted since it paused): it is running
    /// again in the store, and resumed from its journal, whose replay tries the activity again. On a shared
    /// store, a node that still holds the run refuses the write: it must be resumed there.
    private func resumeAway(_ record: WorkflowRecord, completion: @escaping @Sendable (WippyError?) -> Void) {
        store.submit(WorkflowWrite(run: record.run, status: .running)) { [self] written in
            switch written {
            case .failure(let error): completion(error)
            case .success:
                var running = record
                running.status = .running
                if leaseStore == nil { resume(running, fence: nil) } else { residency?.wake() }
                completion(nil)
            }
        }
    }
}
