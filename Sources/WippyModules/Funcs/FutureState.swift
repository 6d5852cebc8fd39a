import WippyCore
import WippyRuntime

/// The state behind a Future: its result channel (buffer 1) and what the call produced.
///
/// Lives on the caller's worker. The pending completion in the caller's process holds it strongly until the
/// call ends; the Future userdata holds it until collected.
final class FutureState {
    /// The process that started the call; nil once it is gone.
    weak var process: LuaProcess?
    let channel: LuaChannel
    /// Token of the pending completion; 0 when none.
    var token: UInt64 = 0
    /// The process running the call, terminated by ``cancel()`` if it has not finished.
    var callee: PID?
    /// In a workflow: the seq of the journaled `call` whose answer completes this future.
    var workflowCall: UInt64?
    /// The call's outcome, once delivered into the channel.
    private(set) var result: ProcessResult?
    private(set) var isCanceled = false

    init(process: LuaProcess, channel: LuaChannel) {
        self.process = process
        self.channel = channel
    }

    /// True once the result was delivered into the channel.
    var isComplete: Bool { result != nil }

    /// Records the outcome and delivers it: a Payload object on success, an error object on failure; then closes
    /// the channel. A nil completion is the `timeout` option's timer firing. Ignored after ``cancel()``.
    func complete(with completion: Completion?) {
        token = 0
        guard !isCanceled, result == nil, let process else { return }
        let outcome: ProcessResult
        switch completion {
        case .result(let value): outcome = value
        case .failure(let error): outcome = .failure(error)
        case .values(let values): outcome = ProcessResult(value: values.first ?? .null)
        case .custom: outcome = ProcessResult()
        case .none: outcome = .failure(.timeout("function call timed out"))
        }
        result = outcome
        let state = process.workerState
        process.deliver(into: channel) { lua in
            if let error = outcome.error {
                state.pushError(error, on: lua)
            } else {
                state.pushPayloadObject(for: outcome.value, on: lua)
            }
        }
        process.closeChannel(channel)
    }

    /// Marks the future canceled, drops the pending completion, stops the call if it is still running, and
    /// closes the channel so nobody waits for a result that will not come.
    func cancel() {
        isCanceled = true
        if token != 0 {
            process?.cancelPending(token)
            token = 0
            if let callee, result == nil { process?.node.terminate(callee) }
        }
        process?.closeChannel(channel)
    }
}
