public import WippyCore
public import WippyLua

/// What the session's effects keep between calls (canceled activities, stopped timers, children).
struct WorkflowEffects {
    /// Activities canceled by their future (by the seq of their `call`): their result is not journaled.
    var canceledCalls: Set<UInt64> = []
    /// Commands whose answer this session journaled (live, not replayed).
    var answered: Set<UInt64> = []
    /// The process running each activity's current attempt, by the seq of its `call`.
    var callees = TokenMap<PID>()
    /// Timers stopped by the code (by the seq of their `timer`): their firing is not journaled.
    var stoppedTimers: Set<UInt64> = []
    /// Child workflows by PID: the seq of their `spawn`.
    var children: [PID: UInt64] = [:]
    /// Children whose start (`started_child`) this session journaled.
    var started: Set<UInt64> = []
    /// Children whose end (`exit`) this session journaled.
    var exited: Set<UInt64> = []
    /// Ends of children that arrived before their start was journaled.
    var earlyExits: [UInt64: ProcessResult] = [:]
}

/// `funcs.async` inside a workflow: an activity like `funcs.call`'s, whose answer is handed to the future
/// when it is delivered (at a block point, as every event), and which `future:cancel()` stops with a
/// journaled `cancel_call`.
extension WorkflowSession {
    /// Starts `function` as an activity for a future; `resolve` gets its result when the answer is delivered.
    /// Returns the seq of its `call` command, or nil when the code diverged (the caller must yield for good).
    public func startAsync(
        from lua: Lua, function: EntryID, arguments: [Payload], options: Payload, context: ExecutionContext?,
        resolve: @escaping (ProcessResult) -> Void
    ) -> UInt64? {
        let command = WorkflowCommand.call(function: function.description, arguments: .array(arguments), options: options)
        let policy = WorkflowActivityPolicy(options: options)
        let seq: UInt64
        switch issue(command, from: lua, act: { [unowned(unsafe) self] seq, _ in
            self.startActivity(seq, function: function, arguments: arguments, context: context, policy: policy, attempt: 1)
        }) {
        case .replayed(let recorded, _, _): seq = recorded
        case .new(let new): seq = new
        case .blocked: return nil
        }
        onAnswer(seq) { body in
            if case .error(let error)? = body["error"] {
                resolve(.failure(error))
            } else {
                resolve(ProcessResult(value: body["value"] ?? .null))
            }
        }
        return seq
    }

    /// `future:cancel()` for the activity of the `call` at `seq`: the future ignores its answer from now on;
    /// once the cancel is durable the activity is stopped and its answer journaled as a canceled error (so
    /// a replay does not start it again). False when the code diverged.
    public func cancelAsync(_ seq: UInt64, from lua: Lua) -> Bool {
        dropAnswer(seq)
        effects.canceledCalls.insert(seq)
        let issued = issue(.cancelCall(seq: seq), from: lua) { [unowned(unsafe) self] _, _ in
            if let callee = self.effects.callees.removeValue(forKey: seq) { self.process.node.terminate(callee) }
            guard !self.isAnsweredInJournal(seq), !self.effects.answered.contains(seq) else { return }
            self.recordAnswer(seq, .map([("error", .error(.canceled("canceled"))), ("canceled", .bool(true))]))
        }
        if case .blocked = issued { return false }
        return true
    }

    /// Journals the answer (`result`) to the command at `seq`, once.
    func recordAnswer(_ seq: UInt64, _ body: Payload) {
        guard effects.answered.insert(seq).inserted else { return }
        record(kind: "result", key: String(seq), body)
    }
}
