import HashTreeCollections
import Synchronization
import Logging
public import WippyCore
import WippyCodecs

/// The live view of a running application other commands read through the control socket.
extension Application {
    /// Starts answering status requests on `.wippy/control.sock` under the project (stopped and removed by
    /// ``shutdown()``). A problem (another instance running, a path too long) is logged, not fatal.
    public func serveControl() {
        let path = ControlClient.socketPath(projectRoot: options.projectRoot)
        do {
            let server = try ControlServer(path: path) { [weak self] in
                guard let self else { return [] }
                return (try? JSONCodec.encode(self.supervisionReport())) ?? []
            }
            control.withLock { $0 = server }
        } catch {
            logger.warning("status socket not available: \(error.message)")
        }
    }

    /// Stops the control socket, if one is served.
    func stopControl() {
        control.withLock { server in
            server?.stop()
            server = nil
        }
    }

    /// Every supervised host and service with its state:
    /// `{services: [{id, kind, status, desired, retry_count, last_update, started_at, details, dependencies, pid}]}`.
    public func supervisionReport() -> Payload {
        let entries = registry.snapshot.entries
        let services: [Payload] = supervisor.states().map { state in
            .map([("kind", .string(entries[state.id]?.kind ?? ""))] + state.payloadFields)
        }
        return .map([("services", .array(services))])
    }
}
