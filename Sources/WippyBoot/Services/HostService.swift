public import WippyCore
import Synchronization

/// A process host under supervision: starting it starts its worker threads; stopping it cancels its
/// processes, waits up to the stop timeout, then terminates the rest.
public final class HostService: SupervisedService {
    public let host: ProcessHost

    public init(host: ProcessHost) {
        self.host = host
    }

    public func start(exited: @escaping @Sendable (ServiceStateMachine.Exit) -> Void) {
        host.start()
        // Running until stopped: `exited` is reported by `stop`.
        self.exitedHandler.withLock { $0 = exited }
    }

    public func stop(timeout: Duration) {
        host.stop(timeout: timeout)
        let handler = exitedHandler.withLock { handler -> (@Sendable (ServiceStateMachine.Exit) -> Void)? in
            defer { handler = nil }
            return handler
        }
        handler?(.normal)
    }

    private let exitedHandler = Mutex<(@Sendable (ServiceStateMachine.Exit) -> Void)?>(nil)
}
