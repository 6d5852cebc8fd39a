public import WippyCore
import Dispatch
import Synchronization
public import WippyRuntime

extension Application {
    /// Replays `run`'s journal against the registry's current code of its entry (not the code the run is
    /// pinned to), with no effect, on a host of its own; blocks the caller until the outcome is known. For
    /// `wippy workflow replay` (a thread that may block, never a worker's).
    public func replayCheck(_ run: WorkflowRun, timeout: Duration = .seconds(30)) -> WorkflowReplayCheck.Outcome {
        let entry = run.record.entry
        guard let program = runtime.program(entry) else {
            return .failed("\(entry) is not in the registry (or its code does not compile)")
        }
        guard program.kind == .workflow || program.kind == .process else {
            return .failed("\(entry) is a \(program.kind.rawValue) entry, not a workflow")
        }
        let host = runtime.makeHost(id: "wippy.replay", workers: 1)
        node.register(host: host)
        host.start()
        defer {
            host.stop()
            node.unregister(hostID: host.id)
        }
        let outcome = Mutex<WorkflowReplayCheck.Outcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        WorkflowReplayCheck.run(
            program: program, record: run.record, journal: run.events, runtime: runtime, host: host, timeout: timeout
        ) { found in
            outcome.withLock { $0 = found }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0 } ?? .failed("the replay ended without an outcome")
    }
}
