import WippyCore

/// Pausing a run for an operator: an activity whose retries ran out under `retry_policy.on_exhausted: pause`
/// puts the run in `paused` instead of handing the error to the workflow; `wippy workflow resume` (a message
/// on ``resumeTopic`` from the engine) tries the activity again, with a fresh retry budget.
extension WorkflowSession {
    /// The topic of the engine's resume request (not journaled: the `@` topics are the runtime's).
    public static let resumeTopic = "@workflow.resume"

    /// Puts the run in `paused`; `retry` runs when an operator resumes it.
    func pause(_ reason: String, retry: @escaping () -> Void) {
        guard divergence == nil, !isEnding, check == nil else { return }
        pausedActivity = retry
        let message = "workflow \(record.run.workflowID) (\(record.entry)) is paused: \(reason); `wippy workflow resume \(record.run.workflowID)` retries"
        // Reported once durable: what an operator sees as paused stays paused across a crash.
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            if let completion, completion.isDurableWrite {
                self.observer.sessionPaused(self, reason: message)
            }
        }
        store.submit(WorkflowWrite(run: run, status: .paused, result: Array(message.utf8), fence: fence)) { outcome in
            cell.worker.complete(cell, token: token, .written(outcome))
        }
    }

    /// An operator's resume: the paused activity is tried again (ignored when the run is not paused).
    func resume() {
        guard let retry = pausedActivity, divergence == nil, !isEnding else { return }
        pausedActivity = nil
        store.submit(WorkflowWrite(run: run, status: .running, fence: fence)) { _ in }
        observer.sessionPaused(self, reason: nil)
        retry()
    }
}
