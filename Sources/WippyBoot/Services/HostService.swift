public import WippyCore
import Dispatch

/// A process host under supervision: starting it starts its worker threads; stopping it cancels its
/// processes, waits up to the stop timeout, then terminates the rest (on another thread: joining the
/// workers blocks). A host's threads cannot start again once stopped.
public final class HostService: SupervisedService {
    public let host: ProcessHost
    let stopTimeout: Duration

    public init(host: ProcessHost, stopTimeout: Duration) {
        self.host = host
        self.stopTimeout = stopTimeout
    }

    public func start(_ run: ServiceRun) {
        host.start()
        if host.isRunning {
            run.started()
        } else {
            run.exited(.terminal("host \(host.id) was stopped and cannot start again"))
        }
    }

    public func stop(_ run: ServiceRun) {
        let host = self.host
        let timeout = stopTimeout
        DispatchQueue.global().async {
            host.stop(timeout: timeout)
            run.exited(.normal)
        }
    }
}
