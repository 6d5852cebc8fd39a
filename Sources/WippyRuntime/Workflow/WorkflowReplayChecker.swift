import DequeModule
import Logging
import Synchronization
import WippyCore

/// The background replay checks of one engine: when a workflow entry's code changes, the journals of its runs
/// in flight are replayed against the new code (``WorkflowReplayCheck``: no effect) to find the runs that would
/// diverge if they took it. Runs keep their pinned code either way; this only reports.
///
/// Checks run on a host of their own with one worker (never on the workflow host's workers), at most
/// ``limit`` at a time; the rest wait in a queue. Each diverging run gets a log line, and each change one bus
/// event (system `workflow`, kind `workflow.replay_check`, path the entry) with the counts.
public final class WorkflowReplayChecker: @unchecked Sendable {
    /// Checks in flight at once.
    public let limit: Int
    private struct State {
        var host: ProcessHost?
        var running = 0
        var queue = Deque<@Sendable (@escaping @Sendable () -> Void) -> Void>()
        var stopped = false
    }
    private let state = Mutex(State())

    public init(limit: Int = 4) { self.limit = max(limit, 1) }

    /// Checks each run of `records` (runs of `entry` in flight) against `program`, the entry's new code.
    func check(entry: EntryID, program: LuaProgram, records: [WorkflowRecord], engine: WorkflowEngine) {
        guard !records.isEmpty else { return }
        let tally = Tally(entry: entry, total: records.count, engine: engine)
        for record in records {
            enqueue { [self] done in
                engine.store.load(record.run) { [self] loaded in
                    guard case .success(let run?) = loaded, let host = replayHost(engine) else {
                        if case .failure(let error) = loaded { tally.add(record, .failed(error.message)) } else { tally.add(record, nil) }
                        return done()
                    }
                    WorkflowReplayCheck.run(
                        program: program, record: run.record, journal: run.events, runtime: engine.runtime, host: host
                    ) { outcome in
                        tally.add(record, outcome)
                        done()
                    }
                }
            }
        }
    }

    /// Stops the checks' host (the engine's host is stopping); queued checks are dropped.
    public func stop() {
        let host = state.withLock { state -> ProcessHost? in
            state.stopped = true
            state.queue.removeAll()
            defer { state.host = nil }
            return state.host
        }
        guard let host else { return }
        host.stop(timeout: .seconds(2))
        host.node.unregister(hostID: host.id)
    }

    private func enqueue(_ job: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void) {
        let start = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            if state.running < limit {
                state.running += 1
                return true
            }
            state.queue.append(job)
            return false
        }
        if start { job { [self] in finished() } }
    }

    private func finished() {
        let next = state.withLock { state -> (@Sendable (@escaping @Sendable () -> Void) -> Void)? in
            if let job = state.queue.popFirst() { return job }
            state.running -= 1
            return nil
        }
        next? { [self] in finished() }
    }

    /// The host checks run on, made on first use.
    private func replayHost(_ engine: WorkflowEngine) -> ProcessHost? {
        state.withLock { state -> ProcessHost? in
            guard !state.stopped else { return nil }
            if let host = state.host { return host }
            let host = engine.runtime.makeHost(id: engine.hostID + ".replay", workers: 1)
            engine.runtime.node.register(host: host)
            host.start()
            state.host = host
            return host
        }
    }

    /// The outcomes of one change's checks: a log line per diverging run, one bus event at the end.
    private final class Tally: @unchecked Sendable {
        let entry: EntryID
        let total: Int
        unowned let engine: WorkflowEngine
        private let counts = Mutex<(clean: Int, diverged: Int, failed: Int, diverging: [String])>((0, 0, 0, []))

        init(entry: EntryID, total: Int, engine: WorkflowEngine) {
            self.entry = entry
            self.total = total
            self.engine = engine
        }

        /// One run's outcome (nil: the run ended meanwhile, not counted as checked).
        func add(_ record: WorkflowRecord, _ outcome: WorkflowReplayCheck.Outcome?) {
            let id = record.run.workflowID
            switch outcome {
            case .diverged(let divergence, let location)?:
                let at = location.map { " at \($0)" } ?? ""
                engine.logger.warning(
                    "workflow \(id) (\(entry)) would diverge under the changed code: \(divergence)\(at); it keeps running its pinned code")
            case .failed(let message)? where !engine.isStopping:
                engine.logger.warning("workflow \(id) (\(entry)): the replay check against the changed code failed: \(message)")
            default: break
            }
            let done = counts.withLock { counts -> (clean: Int, diverged: Int, failed: Int, diverging: [String])? in
                switch outcome {
                case .clean?: counts.clean += 1
                case .diverged?:
                    counts.diverged += 1
                    counts.diverging.append(id)
                case .failed?, nil: counts.failed += 1
                }
                return counts.clean + counts.diverged + counts.failed == total ? counts : nil
            }
            guard let done, !engine.isStopping else { return }
            engine.logger.info(
                "workflow code \(entry) changed: replayed \(total) runs in flight against it: \(done.clean) clean, \(done.diverged) would diverge, \(done.failed) not checked")
            engine.runtime.bus.send(BusEvent(
                system: "workflow", kind: "workflow.replay_check", path: entry.description,
                data: .map([
                    ("entry", .string(entry.description)), ("runs", .int(Int64(total))), ("clean", .int(Int64(done.clean))),
                    ("diverged", .int(Int64(done.diverged))), ("failed", .int(Int64(done.failed))),
                    ("diverging", .array(done.diverging.sorted().map { .string($0) })),
                ])))
        }
    }
}
