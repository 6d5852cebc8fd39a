public import WippyCore
import Synchronization
public import WippyRuntime

/// A `process.service` entry under supervision: each run spawns the process on its host and counts as
/// started once spawned. A normal return ends the service (`exited`); an error makes the supervisor
/// restart it, unless it was a cancellation or an error marked not retryable. Stopping sends CANCEL;
/// terminating kills the process.
public final class ProcessService: SupervisedService {
    public let id: EntryID
    private let runtime: LuaRuntime
    private let processID: EntryID
    let hostID: String
    private let input: [Payload]
    /// The running instance and the run it belongs to.
    private let current = Mutex<(run: Int, pid: PID)?>(nil)

    public init(id: EntryID, runtime: LuaRuntime, process: EntryID, host: String, input: [Payload]) {
        self.id = id
        self.runtime = runtime
        self.processID = process
        self.hostID = host
        self.input = input
    }

    /// The PID of the running instance.
    public var pid: PID? { current.withLock { $0?.pid } }

    public var runningProcess: PID? { pid }

    public func start(_ run: ServiceRun) {
        guard let program = runtime.program(processID) else {
            run.exited(.failure("process \(processID) not found"))
            return
        }
        guard let host = runtime.node.host(hostID) else {
            run.exited(.failure("host \(hostID) not found"))
            return
        }
        let number = run.number
        let options = SpawnOptions(onExit: { [self] _, result in
            current.withLock { if $0?.run == number { $0 = nil } }
            if let error = result.error {
                let terminal = error.kind == .canceled || error.retryable == false
                run.exited(terminal ? .terminal(error.message) : .failure(error.message))
            } else {
                run.exited(.normal)
            }
        })
        let pid = runtime.node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: input), options: options)
        current.withLock { if runtime.node.isAlive(pid) { $0 = (number, pid) } }
        run.started()
    }

    public func stop(_ run: ServiceRun) {
        guard let pid = process(of: run) else { return }
        runtime.node.cancel(pid, from: nil, reason: "service stopping")
    }

    public func terminate(_ run: ServiceRun) {
        guard let pid = process(of: run) else { return }
        runtime.node.terminate(pid)
    }

    private func process(of run: ServiceRun) -> PID? {
        current.withLock { $0?.run == run.number ? $0?.pid : nil }
    }
}
