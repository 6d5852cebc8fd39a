public import WippyCore
import Synchronization
import WippyRuntime

extension Application {
    /// `system.exit(code)`: records the code (the first request wins) and asks the run to shut down.
    public func requestExit(code: Int32) {
        let notify = exitRequest.withLock { state -> (@Sendable () -> Void)? in
            if state.code == nil { state.code = code }
            return state.onRequest
        }
        notify?()
    }

    /// The exit code `system.exit` asked for, if it was called.
    public var requestedExitCode: Int32? { exitRequest.withLock { $0.code } }

    /// Calls `action` when Lua asks the runtime to exit (at once if it already has).
    public func onExitRequest(_ action: @escaping @Sendable () -> Void) {
        let already = exitRequest.withLock { state -> Bool in
            state.onRequest = action
            return state.code != nil
        }
        if already { action() }
    }

    /// The terminal host to run commands on: `preferred` if given, else the only `terminal.host`.
    public func terminalHost(preferred: String?) throws(WippyError) -> EntryID {
        if let preferred {
            let id = EntryID(parsing: preferred)
            guard hostKind.isHost(id) else { throw WippyError.notFound("host \(preferred) not found") }
            return id
        }
        let terminalHosts = hostKind.terminalHosts
        switch terminalHosts.count {
        case 1: return terminalHosts[0]
        case 0:
            throw WippyError.invalid("no terminal.host entry found: add one (kind: terminal.host) or pass --host")
        default:
            let names = terminalHosts.map(\.description).sorted().joined(separator: ", ")
            throw WippyError.invalid("several terminal hosts (\(names)): choose one with --host")
        }
    }

    /// Starts process entry `id` on `host` (starting the host if needed) with string arguments; `onExit`
    /// receives its result, on the host's worker thread. Returns the process's PID.
    public func startCommand(
        _ id: EntryID, host hostID: EntryID, arguments: [String], onExit: @escaping @Sendable (ProcessResult) -> Void
    ) throws(WippyError) -> PID {
        guard let program = runtime.program(id) else { throw WippyError.notFound("entry \(id) not found") }
        guard program.kind == .process || program.kind == .workflow else {
            throw WippyError.invalid("entry \(id) is a \(program.kind.rawValue), not a process.lua entry")
        }
        supervisor.start(hostID)
        guard let host = node.host(hostID.description), host.isRunning else {
            throw WippyError.unavailable("host \(hostID) did not start")
        }
        let options = SpawnOptions(onExit: { _, result in onExit(result) })
        let starter = LuaProcessStarter(program: program, arguments: arguments.map { .string($0) })
        return node.spawn(on: host, starter: starter, options: options)
    }
}
