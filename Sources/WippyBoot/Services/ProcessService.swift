public import WippyCore
import Synchronization
public import WippyRuntime

/// A `process.service` entry under supervision: each run spawns the process on its host; a normal return
/// ends the service, an error makes the supervisor restart it.
public final class ProcessService: SupervisedService {
    public let id: EntryID
    private let runtime: LuaRuntime
    private let processID: EntryID
    let hostID: String
    private let input: [Payload]
    private let current = Mutex<PID?>(nil)

    public init(id: EntryID, runtime: LuaRuntime, process: EntryID, host: String, input: [Payload]) {
        self.id = id
        self.runtime = runtime
        self.processID = process
        self.hostID = host
        self.input = input
    }

    /// The PID of the running instance.
    public var pid: PID? { current.withLock { $0 } }

    public func start(exited: @escaping @Sendable (ServiceStateMachine.Exit) -> Void) {
        guard let program = runtime.program(processID) else {
            exited(.failure("process \(processID) not found"))
            return
        }
        guard let host = runtime.node.host(hostID) else {
            exited(.failure("host \(hostID) not found"))
            return
        }
        let options = SpawnOptions(onExit: { [self] _, result in
            current.withLock { $0 = nil }
            if let error = result.error {
                exited(error.retryable == false && error.kind == .canceled ? .terminal(error.message) : .failure(error.message))
            } else {
                exited(.normal)
            }
        })
        let pid = runtime.node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: input), options: options)
        current.withLock { if runtime.node.isAlive(pid) { $0 = pid } }
    }

    public func stop(timeout: Duration) {
        guard let pid = current.withLock({ $0 }) else { return }
        let node = runtime.node
        node.cancel(pid, from: nil, reason: "service stopping")
        DispatchSupervisorTimer().schedule(after: timeout) {
            node.terminate(pid)
        }
    }
}
