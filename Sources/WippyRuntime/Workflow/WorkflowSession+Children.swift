import Foundation
public import WippyCore
public import WippyLua

/// Child workflows (`process.spawn*`/`process.exec` to a workflow host, `workflow.exec`): a journaled
/// `spawn` command starts the child through its host's engine once the command is durable; its start is
/// journaled as `started_child` (the PID the code gets), its end as `exit` (an EXIT event for `spawn`, the
/// result for `exec`), both delivered at block points. The child's id is chosen deterministically (the
/// parent's id, run and the command's seq) unless the code names it; a replay never starts it again.
extension WorkflowSession {
    /// What a child's answer resumes the calling task with.
    enum ChildAnswer: Sendable {
        case started(PID)
        case failed(WippyError)
        case exited(ProcessResult)
    }

    /// Starts `program` as a child workflow on `host` from `task`; `wait` blocks until it ends (`exec`),
    /// otherwise the task gets its PID once the start is durable. Returns the native's status.
    public func spawnChild(
        _ task: LuaTask, from lua: Lua, program: LuaProgram, host: ProcessHost, arguments: [Payload], spawner: Spawner?,
        wait: Bool
    ) -> Int32 {
        let state = process.workerState
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        guard WorkflowIdentity.isWorkflowHost(host.id) else {
            return state.fail(
                .invalid("a workflow can only start child workflows (\(host.id) is not a workflow host); call an activity with funcs.call"),
                on: lua)
        }
        guard let engine = process.node.gateway(forHost: host.id) as? WorkflowEngine else {
            return state.fail(.unavailable("workflow host \(host.id) is not started yet"), on: lua)
        }
        let options = spawner?.options ?? [:]
        let named = (options["temporal.workflow.id"] ?? options["workflow.id"])?.stringValue ?? spawner?.name
        let chosen = named ?? "\(run.workflowID)-\(run.runID.prefix(8))-\(nextSeq)"
        let context = spawner?.context ?? process.context
        let parent = process.pid
        let messages = spawner?.messages.map { Message(from: parent, topic: $0.topic, payloads: $0.payloads) } ?? []
        let command = WorkflowCommand.spawn(
            entry: program.entryID.description, host: host.id, workflowID: chosen, arguments: .array(arguments), wait: wait)
        let token = process.suspend(task) { thread, completion in
            guard case .custom(let answer as ChildAnswer)? = completion else { return state.fail(.internal("child workflow lost"), on: thread) }
            switch answer {
            case .started(let pid):
                thread.push(pid: pid)
                return 1
            case .failed(let error): return state.fail(error, on: thread)
            case .exited(let result): return state.pushResult(.result(result), on: thread)
            }
        }
        var childID = chosen
        let issued = issue(command, from: lua) { [unowned(unsafe) self] seq, recorded in
            let id = recorded?["id"]?.stringValue ?? chosen
            let start = WorkflowEngine.Start(
                entry: program.entryID, arguments: arguments, workflowID: id, conflict: .useExisting, context: context, parent: parent,
                monitor: true, messages: messages)
            self.startChild(seq, engine: engine, start: start, replayed: recorded != nil)
        }
        let seq: UInt64
        switch issued {
        case .new(let new): seq = new
        case .replayed(let recordedSeq, let recorded, let answered):
            seq = recordedSeq
            childID = recorded["id"]?.stringValue ?? chosen
            // Started before the restart and not ended in the journal: its end is watched again.
            if answered && !isExitInJournal(seq) { watchChild(seq, pid: engine.pid(of: childID), engine: engine) }
        case .blocked: return lua.yieldToScheduler()
        }
        let childPID = engine.pid(of: childID)
        effects.children[childPID] = seq
        let cell = process.cell
        onAnswer(seq) { [unowned(unsafe) self] body in
            if case .error(let error)? = body["error"] {
                _ = self.process.completed(cell, token: token, .custom(ChildAnswer.failed(error)))
                return
            }
            if !wait { _ = self.process.completed(cell, token: token, .custom(ChildAnswer.started(childPID))) }
            self.onAnswer(seq) { [unowned(unsafe) self] body in
                let result = WorkflowSession.result(of: body)
                if wait {
                    _ = self.process.completed(cell, token: token, .custom(ChildAnswer.exited(result)))
                } else {
                    // Child workflows are monitored automatically: their end is an EXIT event.
                    self.hand(.event(.exit(from: childPID, result: result)))
                }
            }
        }
        return lua.yieldToScheduler()
    }

    /// The result an answer's body carries (`{value}` or `{error}`).
    static func result(of body: Payload) -> ProcessResult {
        if case .error(let error)? = body["error"] { return .failure(error) }
        return ProcessResult(value: body["value"] ?? .null)
    }

    static func body(of result: ProcessResult) -> Payload {
        if let error = result.error { return .map([("error", .error(error))]) }
        return .map([("value", result.value)])
    }

    /// Starts the child once its `spawn` is durable, and journals its start. A replayed `spawn` with no
    /// journaled start first looks for the child in the store: it may have started (and even ended) before
    /// the restart, and must not start twice.
    private func startChild(_ seq: UInt64, engine: WorkflowEngine, start: WorkflowEngine.Start, replayed: Bool) {
        guard let id = start.workflowID else { return }
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            guard case .custom(let outcome as StartOutcome)? = completion else { return }
            switch outcome.result {
            case .success(let pid): self.childStarted(seq, pid: pid)
            case .failure(let error):
                guard self.effects.started.insert(seq).inserted else { return }
                self.record(kind: "started_child", key: String(seq), .map([("error", .error(error))]))
            }
        }
        guard replayed else {
            engine.start(start) { result in cell.worker.complete(cell, token: token, .custom(StartOutcome(result: result))) }
            return
        }
        let lookup = process.expectCompletion { [unowned(unsafe) self] completion in
            guard case .custom(let found as ChildLookup)? = completion else { return }
            guard found.record != nil else {
                engine.start(start) { result in cell.worker.complete(cell, token: token, .custom(StartOutcome(result: result))) }
                return
            }
            self.process.cancelPending(token)
            let pid = engine.pid(of: id)
            self.childStarted(seq, pid: pid)
            self.watchChild(seq, pid: pid, engine: engine)
        }
        WorkflowSession.latestRun(of: id, in: engine.store) { record in cell.worker.complete(cell, token: lookup, .custom(ChildLookup(record: record))) }
    }

    /// Journals the start of the child at `seq` (once), then an end that arrived before it.
    private func childStarted(_ seq: UInt64, pid: PID) {
        effects.children[pid] = seq
        guard effects.started.insert(seq).inserted else { return }
        record(kind: "started_child", key: String(seq), .map([("pid", .string(pid.description))]))
        if let early = effects.earlyExits.removeValue(forKey: seq) { childEnded(pid, early) }
    }

    /// A child's end reached the run (its EXIT, or its final status read from the store): journaled once,
    /// after its start.
    func childEnded(_ pid: PID, _ result: ProcessResult) {
        guard let seq = effects.children[pid] else { return }
        guard effects.started.contains(seq) || isAnsweredInJournal(seq) else {
            effects.earlyExits[seq] = result
            return
        }
        guard !isExitInJournal(seq), effects.exited.insert(seq).inserted else { return }
        record(kind: "exit", key: String(seq), WorkflowSession.body(of: result))
    }

    /// Watches the end of a child started before this process: its EXIT when its run is in memory here,
    /// else its final status in the store (looked at again until it has one).
    private func watchChild(_ seq: UInt64, pid: PID, engine: WorkflowEngine, delay: UInt64 = 0) {
        effects.children[pid] = seq
        guard !effects.exited.contains(seq), divergence == nil else { return }
        if (try? process.node.monitor(watcher: process.pid, target: pid)) != nil { return }
        let cell = process.cell
        let token = process.expectCompletion { [unowned(unsafe) self] completion in
            guard case .custom(let found as ChildLookup)? = completion else { return }
            // A run that continued as new is not the workflow's end: its successor (a later run) is.
            if let record = found.record, record.status.isFinal, record.status != .continued {
                let value = record.result.flatMap { try? PayloadArchive.decode($0) } ?? .null
                if case .error(let error) = value { self.childEnded(pid, .failure(error)) } else { self.childEnded(pid, ProcessResult(value: value)) }
                return
            }
            // Still running (recovering, or not in memory): looked at again, less often each time.
            let next = min(max(delay * 2, 50_000_000), 2_000_000_000)
            _ = self.process.armTimer(after: next) { [unowned(unsafe) self] _ in self.watchChild(seq, pid: pid, engine: engine, delay: next) }
        }
        let id = pid.workflowID ?? ""
        WorkflowSession.latestRun(of: id, in: engine.store) { record in cell.worker.complete(cell, token: token, .custom(ChildLookup(record: record))) }
    }

    /// The latest run of workflow `id` in `store` (nil when it has none), on the store's thread.
    static func latestRun(of id: String, in store: any WorkflowStore, completion: @escaping @Sendable (WorkflowRecord?) -> Void) {
        if let signals = store as? any WorkflowSignalStore {
            return signals.runs(workflowID: id) { found in completion((try? found.get())?.last) }
        }
        store.list(statuses: [], limit: .max) { listed in
            completion((try? listed.get())?.last { $0.run.workflowID == id })
        }
    }
}

/// A child's run found in the store, on its way to the worker.
struct ChildLookup: Sendable {
    let record: WorkflowRecord?
}
