import Dispatch
public import WippyCore
import Synchronization
import WippyRuntime

extension Application {
    /// Why `run` or `exec` returned.
    public enum Outcome: Sendable {
        /// A signal or `requestShutdown()` asked the runtime to stop.
        case shutdownRequested
        /// The executed entry finished.
        case finished(ProcessResult)
    }

    /// Asks a waiting `waitForShutdown` or `exec` to return (from a signal handler thread, say).
    public func requestShutdown() {
        shutdownRequested.withLock { $0 = true }
        wakeUp.signal()
    }

    /// `system.exit(code)`: shut the whole runtime down, then exit with `code` (the first request wins).
    public func requestExit(code: Int32) {
        exitRequest.withLock { if $0 == nil { $0 = code } }
        requestShutdown()
    }

    /// The exit code `system.exit` asked for, if it was called.
    public var requestedExitCode: Int32? { exitRequest.withLock { $0 } }

    /// Blocks until shutdown is requested.
    public func waitForShutdown() {
        while !shutdownRequested.withLock({ $0 }) { wakeUp.wait() }
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

    /// Runs process entry `id` on `host` with string arguments and waits for it to finish, or for a shutdown
    /// request (then the process is cancelled and given the stop timeout to end).
    public func exec(_ id: EntryID, host hostID: EntryID, arguments: [String]) throws(WippyError) -> Outcome {
        guard let program = runtime.program(id) else { throw WippyError.notFound("entry \(id) not found") }
        guard program.kind == .process || program.kind == .workflow else {
            throw WippyError.invalid("entry \(id) is a \(program.kind.rawValue), not a process.lua entry")
        }
        supervisor.start(hostID)
        guard let host = node.host(hostID.description), host.isRunning else {
            throw WippyError.unavailable("host \(hostID) did not start")
        }
        let box = ResultBox()
        let wakeUp = self.wakeUp
        let options = SpawnOptions(onExit: { _, result in
            box.result.withLock { $0 = result }
            wakeUp.signal()
        })
        let starter = LuaProcessStarter(program: program, arguments: arguments.map { .string($0) })
        let pid = node.spawn(on: host, starter: starter, options: options)
        while true {
            if let result = box.result.withLock({ $0 }) { return .finished(result) }
            if shutdownRequested.withLock({ $0 }) {
                node.cancel(pid, from: nil, reason: "shutdown")
                return .shutdownRequested
            }
            wakeUp.wait()
        }
    }
}

private final class ResultBox: Sendable {
    let result = Mutex<ProcessResult?>(nil)
}
