import HashTreeCollections
import Dispatch
import Synchronization
import Logging
public import WippyCore
import WippyCodecs
import WippyRuntime

/// The live view of a running application other commands read through the control socket.
extension Application {
    /// Starts answering status requests on `.wippy/control.sock` under the project (stopped and removed by
    /// ``shutdown()``). A problem (another instance running, a path too long) is logged, not fatal.
    public func serveControl() {
        let path = ControlClient.socketPath(projectRoot: options.projectRoot)
        do {
            let server = try ControlServer(path: path) { [weak self] request in
                guard let self else { return [] }
                if request.isEmpty { return (try? JSONCodec.encode(self.supervisionReport())) ?? [] }
                return (try? JSONCodec.encode(self.control(request))) ?? []
            }
            control.withLock { $0 = server }
        } catch {
            logger.warning("status socket not available: \(error.message)")
        }
    }

    /// Answers a request of the control socket: `{op, ...}` → `{ok: true, ...}` or `{error}`.
    /// - `workflow.signal {id, topic, payload}`: a message to a running workflow (journaled);
    /// - `workflow.cancel {id, reason}`, `workflow.terminate {id}`;
    /// - `workflow.resume {id}`: a paused run tries its activity again.
    func control(_ request: [UInt8]) -> Payload {
        func failure(_ message: String) -> Payload { .map([("error", .string(message))]) }
        guard let body = try? JSONCodec.decode(request), let op = body["op"]?.stringValue else {
            return failure("the request is not a JSON object with an 'op'")
        }
        guard op.hasPrefix("workflow.") else { return failure("unknown request '\(op)'") }
        guard let id = body["id"]?.stringValue, !id.isEmpty else { return failure("\(op) needs a workflow id") }
        let engines = workflowHostKind.hostIDs.compactMap { workflowHostKind.engine($0) }
        // The engine that runs it here first; a run out of memory (parked, or held by another node of a shared
        // store) is reached through the store of whichever engine knows it.
        let candidates = engines.filter { $0.activeWorkflows.contains(id) } + engines.filter { !$0.activeWorkflows.contains(id) }
        guard !candidates.isEmpty else { return failure("workflow \(id) is not running in this runtime") }
        var lastError: WippyError?
        for engine in candidates {
            let outcome = Mutex<WippyError?>(nil)
            let done = DispatchSemaphore(value: 0)
            let finish: @Sendable (WippyError?) -> Void = { error in
                outcome.withLock { $0 = error }
                done.signal()
            }
            switch op {
            case "workflow.signal":
                guard let topic = body["topic"]?.stringValue, !topic.isEmpty, !topic.hasPrefix("@") else {
                    return failure("workflow.signal needs a topic (not starting with @)")
                }
                let payloads = body["payload"].map { [$0] } ?? []
                engine.signal(workflowID: id, Message(from: nil, topic: topic, payloads: payloads), completion: finish)
            case "workflow.cancel":
                engine.cancel(
                    workflowID: id, from: nil, reason: body["reason"]?.stringValue ?? "cancelled by an operator", terminate: false,
                    completion: finish)
            case "workflow.terminate":
                engine.cancel(workflowID: id, from: nil, reason: "terminated by an operator", terminate: true, completion: finish)
            case "workflow.resume":
                engine.resume(workflowID: id, completion: finish)
            default:
                return failure("unknown request '\(op)'")
            }
            guard done.wait(timeout: .now() + 10) == .success else { return failure("\(op) \(id): no answer within 10 s") }
            guard let error = outcome.withLock({ $0 }) else {
                return .map([("ok", .bool(true)), ("id", .string(id)), ("pid", .string(engine.pid(of: id).description))])
            }
            lastError = error
            if error.kind != .notFound { break }
        }
        if let lastError, lastError.kind != .notFound { return failure(lastError.message) }
        return failure("workflow \(id) is not running in this runtime")
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
