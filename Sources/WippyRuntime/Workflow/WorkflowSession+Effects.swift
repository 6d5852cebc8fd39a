public import WippyCore
public import WippyLua

/// The effects a workflow's natives ask for: activities (`funcs.call`), durable timers (`time.sleep`), sends
/// and version markers. Each goes through ``WorkflowSession/issue(_:from:act:)``: journaled first, acted on
/// once durable, and answered from the journal on replay.
extension WorkflowSession {
    /// `funcs.call` in a workflow: runs `function` as an activity and blocks `task` until its journaled
    /// result is delivered; resumes with `value` or `nil, err`. Returns the native's status.
    public func call(
        _ task: LuaTask, from lua: Lua, function: EntryID, arguments: [Payload], options: Payload, context: ExecutionContext?
    ) -> Int32 {
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let token = process.suspendForResult(task)
        let command = WorkflowCommand.call(function: function.description, arguments: .array(arguments), options: options)
        let policy = WorkflowActivityPolicy(options: options)
        let issued = issue(command, from: lua) { [unowned(unsafe) self] seq, _ in
            self.startActivity(seq, function: function, arguments: arguments, context: context, policy: policy, attempt: 1)
        }
        if case .replayed(let seq, _, _) = issued { onAnswer(seq, completing: token) }
        if case .new(let seq) = issued { onAnswer(seq, completing: token) }
        return lua.yieldToScheduler()
    }

    /// Runs one attempt of an activity; its final result is journaled as the command's answer.
    func startActivity(
        _ seq: UInt64, function: EntryID, arguments: [Payload], context: ExecutionContext?, policy: WorkflowActivityPolicy,
        attempt: Int
    ) {
        guard divergence == nil, !isEnding, !isLeaving else { return }
        parking.activityStarted(seq)
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            // The attempt's process, kept in `callees` rather than in a captured variable (a heap box per step).
            let callee = self.effects.callees.removeValue(forKey: seq)
            // Canceled by its future (`funcs.async`): the cancel journals the answer.
            if self.effects.canceledCalls.contains(seq) { return }
            let result: ProcessResult
            switch completion {
            case .result(let value): result = value
            case nil:
                if let callee { cell.worker.host.node.terminate(callee) }
                result = .failure(WippyError.timeout("activity \(function) timed out (start_to_close_timeout)"))
            default: result = .failure(.internal("activity \(function) ended without a result"))
            }
            if let error = result.error, let delay = policy.retryDelay(after: error, attempt: attempt) {
                _ = self.process.armTimer(after: UInt64(delay)) { [unowned(unsafe) self] _ in
                    if self.effects.canceledCalls.contains(seq) { return }
                    self.startActivity(seq, function: function, arguments: arguments, context: context, policy: policy, attempt: attempt + 1)
                }
                return
            }
            if let error = result.error, policy.pauses(after: error) {
                // Out of retries under `on_exhausted: pause`: the run waits for an operator's resume.
                self.pause("activity \(function) failed after \(attempt) attempts: \(error.message)") { [unowned(unsafe) self] in
                    self.startActivity(seq, function: function, arguments: arguments, context: context, policy: policy, attempt: 1)
                }
            } else if let error = result.error {
                self.recordAnswer(seq, .map([("error", .error(error)), ("attempts", .int(Int64(attempt)))]))
            } else {
                self.recordAnswer(seq, .map([("value", result.value)]))
            }
        }
        switch process.callFunction(id: function, arguments: arguments, context: context, completion: { result in
            cell.worker.complete(cell, token: token, .result(result))
        }) {
        case .success(let pid):
            effects.callees[seq] = pid
            cell.worker.arm(cell, after: UInt64(policy.startToClose), token: token)
        case .failure(let error):
            process.cancelPending(token)
            recordAnswer(seq, .map([("error", .error(error)), ("attempts", .int(Int64(attempt)))]))
        }
    }

    /// `time.sleep` in a workflow: a durable timer; `task` resumes when its journaled firing is delivered.
    public func sleep(_ task: LuaTask, from lua: Lua, nanoseconds: Int64) -> Int32 {
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let token = process.suspend(task) { _, _ in 0 }
        let fireAt = now + max(nanoseconds, 0)
        let issued = issue(.timer(duration: nanoseconds, fireAt: fireAt), from: lua) { [unowned(unsafe) self] seq, recorded in
            // The recorded firing time wins over this run's arithmetic.
            self.armTimer(seq, fireAt: recorded?["fire_at"]?.intValue ?? fireAt)
        }
        let seq: UInt64
        switch issued {
        case .replayed(let recordedSeq, _, _): seq = recordedSeq
        case .new(let newSeq): seq = newSeq
        case .blocked: return lua.yieldToScheduler()
        }
        onAnswer(seq) { [unowned(unsafe) self] _ in
            _ = self.process.completed(self.process.cell, token: token, .values([]))
        }
        return lua.yieldToScheduler()
    }

    /// Arms the real timer of the durable timer at `seq`; its firing is journaled.
    func armTimer(_ seq: UInt64, fireAt: Int64) {
        parking.timerArmed(seq, fireAt: fireAt)
        let delay = max(fireAt - WorkflowSession.wallClock, 0)
        _ = process.armTimer(after: UInt64(delay)) { [unowned(unsafe) self] _ in
            // Stopped by the code (`timer:stop()`): its cancel is journaled instead.
            if self.effects.stoppedTimers.contains(seq) { return }
            self.record(kind: "fired", key: String(seq), .null)
        }
    }

    /// `process.send` from a workflow: journaled, then sent once; a replay does not send again.
    public func send(from lua: Lua, to destination: String, topic: String, payloads: [Payload]) -> Int32 {
        let node = process.node
        let from = process.pid
        let issued = issue(.send(destination: destination, topic: topic, payloads: .array(payloads)), from: lua) { _, _ in
            let message = Message(from: from, topic: topic, payloads: payloads)
            guard let pid = node.resolve(destination) else { return }
            if !node.send(to: pid, .message(message)), let gateway = node.gateway(forHost: pid.host), let id = pid.workflowID {
                gateway.signal(workflowID: id, message) { _ in }
            }
        }
        if case .blocked = issued { return lua.yieldToScheduler() }
        lua.push(true)
        return 1
    }

    /// `workflow.version(change, min, max)`: the recorded version on replay, `max` when new.
    public func version(from lua: Lua, change: String, min: Int64, max: Int64) -> Int64? {
        switch issue(.version(change: change, version: max), from: lua, act: { _, _ in }) {
        case .replayed(_, let recorded, _): return recorded.intValue ?? max
        case .new: return max
        case .blocked: return nil
        }
    }
}
