public import ServiceLifecycle
public import WippyCore
import Synchronization

/// The process of `wippy run -x` (or a command) as a service: started on its host once the runtime runs;
/// when it ends, ``onFinished`` gets its result and the service returns, which shuts the group down (add it
/// with `successTerminationBehavior: .gracefullyShutdownGroup`). A graceful shutdown before that (a signal)
/// sends the process CANCEL and returns at once: stopping its host gives it the stop timeout.
public final class CommandService: Service, Sendable {
    public let app: Application
    public let entry: EntryID
    public let host: EntryID
    public let arguments: [String]
    let after: Readiness
    let onFinished: @Sendable (Result<ProcessResult, WippyError>) -> Void

    /// - Parameter onFinished: the process's result, or why it could not start; not called when a shutdown
    ///   came first.
    public init(
        app: Application, entry: EntryID, host: EntryID, arguments: [String], after runtimeStarted: Readiness,
        onFinished: @escaping @Sendable (Result<ProcessResult, WippyError>) -> Void
    ) {
        self.app = app
        self.entry = entry
        self.host = host
        self.arguments = arguments
        self.after = runtimeStarted
        self.onFinished = onFinished
    }

    public func run() async throws {
        guard await after.wait() else { return }
        let exit = ExitBox()
        let pid: PID
        do throws(WippyError) {
            pid = try app.startCommand(entry, host: host, arguments: arguments) { result in exit.finish(result) }
        } catch {
            onFinished(.failure(error))
            return
        }
        let node = app.node
        let result = await withTaskCancellationOrGracefulShutdownHandler {
            await exit.wait()
        } onCancelOrGracefulShutdown: {
            // Abandoned first: a result the CANCEL brings back is the shutdown's, not the command's.
            exit.abandon()
            node.cancel(pid, from: nil, reason: "shutdown")
        }
        if let result { onFinished(.success(result)) }
    }
}

extension CommandService: CustomStringConvertible {
    public var description: String { "command \(entry)" }
}

/// The result of the command's process, once; `nil` when the wait was abandoned first.
private final class ExitBox: Sendable {
    private struct State {
        var outcome: ProcessResult??
        var waiter: CheckedContinuation<ProcessResult?, Never>?
    }

    private let state = Mutex(State())

    func finish(_ result: ProcessResult) { settle(.some(result)) }

    func abandon() { settle(.some(nil)) }

    private func settle(_ outcome: ProcessResult??) {
        let waiter = state.withLock { state -> CheckedContinuation<ProcessResult?, Never>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: outcome!)
    }

    func wait() async -> ProcessResult? {
        await withCheckedContinuation { continuation in
            let outcome = state.withLock { state -> ProcessResult?? in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let outcome { continuation.resume(returning: outcome) }
        }
    }
}
