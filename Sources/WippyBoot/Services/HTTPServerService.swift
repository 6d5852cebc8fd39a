import Logging
import Synchronization
import WippyCodecs
import WippyCore
import WippyHTTP
import WippyRuntime

/// An `http.service` under supervision: each run serves on the entry's address with Hummingbird until
/// stopped (graceful: in-flight requests finish, idle connections close) or terminated (cancelled). The
/// route table lives on a ``WippyHTTP/HTTPRouteBoard`` that ``HTTPKind`` replaces on every relevant
/// registry change, so a run never restarts for a route change.
final class HTTPServerService: SupervisedService {
    let id: EntryID
    let config: HTTPServiceConfig
    let board: HTTPRouteBoard
    let dispatcher: HTTPEndpointDispatcher
    private let current = Mutex<(run: Int, server: HTTPServer, task: Task<Void, Never>)?>(nil)
    /// The port the running server listens on (0 when not running).
    let boundPort = Atomic<Int>(0)

    init(id: EntryID, config: HTTPServiceConfig, board: HTTPRouteBoard, dispatcher: HTTPEndpointDispatcher) {
        self.id = id
        self.config = config
        self.board = board
        self.dispatcher = dispatcher
    }

    func start(_ run: ServiceRun) {
        let (id, config, logger, dispatcher) = (id, config, dispatcher.runtime.logger, dispatcher)
        let node = dispatcher.runtime.node
        let relay = WebSocketRelay(node: node, logger: logger, bufferSize: config.relayBufferSize) { [dispatcher] in
            dispatcher.host.withLock { $0 }.flatMap { node.host($0.description) }
        }
        let server = HTTPServer(
            name: id.description,
            configuration: .init(
                host: config.host, port: config.port, idleTimeout: config.idleTimeout,
                readTimeout: config.readTimeout.flatMap { $0 == .zero ? nil : $0 }, tls: config.tls),
            board: board, logger: logger, webSocketRelay: relay
        ) { target, exchange in
            dispatcher.start(target, exchange, server: id, writeTimeout: config.writeTimeout, relayBufferSize: config.relayBufferSize)
        }
        let task = Task { [self] in
            do {
                try await server.run { port in
                    self.boundPort.store(port, ordering: .releasing)
                    logger.info("http server \(id) listening on \(config.host):\(port)")
                    run.started()
                }
                self.boundPort.store(0, ordering: .releasing)
                run.exited(.normal)
            } catch {
                self.boundPort.store(0, ordering: .releasing)
                run.exited(.failure("http server \(id) cannot serve on \(config.host):\(config.port): \(error)"))
            }
        }
        current.withLock { $0 = (run.number, server, task) }
    }

    func stop(_ run: ServiceRun) {
        guard let server = current.withLock({ $0?.run == run.number ? $0?.server : nil }) else { return run.exited(.normal) }
        Task { await server.stop() }
    }

    func terminate(_ run: ServiceRun) {
        current.withLock { $0?.run == run.number ? $0?.task : nil }?.cancel()
    }
}

/// Runs an endpoint's function for one request: a fresh invocation on a process host (a `function.lua` as
/// a function call, a `process.lua` as a short process), registered as the owner of the exchange while it
/// runs. Nothing waits for it: when it ends, the reply rules of lua-api-io §1.3 apply and the exchange
/// finishes (a streamed response ends once its queue is sent).
final class HTTPEndpointDispatcher: Sendable {
    let runtime: LuaRuntime
    /// The process host endpoints run on.
    let host: Mutex<EntryID?>

    init(runtime: LuaRuntime, host: EntryID?) {
        self.runtime = runtime
        self.host = Mutex(host)
    }

    /// `relayBufferSize` is the server's `host.buffer_size`, the bound of an `sse_relay` stream's queue.
    func start(_ target: HTTPEndpointTarget, _ exchange: HTTPExchange, server: EntryID, writeTimeout: Duration?, relayBufferSize: Int) {
        let function = EntryID(parsing: target.function)
        guard let program = runtime.program(function) else {
            return exchange.finish(.failed("function \(function) not found"))
        }
        guard let hostID = host.withLock({ $0 }), let processHost = runtime.node.host(hostID.description), processHost.isRunning else {
            return exchange.finish(.failed("no running process.host to run \(function) on"))
        }
        let node = runtime.node
        let pid = node.allocatePID(host: "\(function)#http")
        let key = InvocationKey(node: ObjectIdentifier(node), pid: pid)
        ActiveExchanges.shared.register(key, exchange)
        let logger = runtime.logger
        // `timeouts.write` bounds the response: past it the invocation is terminated and the request gets a
        // 500 (a stream that already started just ends).
        let timedOut = TimeoutFlag()
        let watchdog: Task<Void, Never>? = writeTimeout.flatMap { limit in
            limit == .zero ? nil : Task {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                timedOut.set()
                node.terminate(pid)
            }
        }
        let options = SpawnOptions(onExit: { _, result in
            ActiveExchanges.shared.remove(key)
            watchdog?.cancel()
            if timedOut.isSet {
                logger.warning("http endpoint \(target.endpoint) terminated: handler ran past the write timeout")
                exchange.finish(.failed("handler timed out"))
            } else if let relay = target.sseRelay, result.error == nil, !exchange.isStreaming,
                let header = exchange.responseHeader(SSERelay.header)
            {
                // `sse_relay` (post-match): the relay takes the response over and outlives the handler.
                SSERelay.start(
                    exchange, header: header, options: relay, node: node, host: processHost, bufferSize: relayBufferSize, logger: logger)
            } else {
                exchange.finish(HTTPEndpointDispatcher.outcome(result, endpoint: target.endpoint, logger: logger))
            }
        })
        let mode: LuaProcess.Mode = program.kind == .function ? .function : .process
        node.spawn(on: processHost, starter: LuaProcessStarter(program: program, mode: mode, arguments: []), options: options, pid: pid)
    }

    /// What the handler ended with: an error (raised or `nil, err`), a value (JSON-encoded), or nothing.
    static func outcome(_ result: ProcessResult, endpoint: String, logger: Logger) -> HTTPExchange.Outcome {
        if let error = result.error {
            logger.warning("http endpoint \(endpoint) failed: \(error.message)")
            return .failed(error.message)
        }
        if result.value.isNull { return .returnedNothing }
        do throws(WippyError) {
            return .returned(json: try JSONCodec.encode(result.value))
        } catch {
            return .failed("cannot encode the returned value as JSON: \(error.message)")
        }
    }
}

/// Set once when a handler's watchdog fires.
final class TimeoutFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    func set() { flag.store(true, ordering: .releasing) }

    var isSet: Bool { flag.load(ordering: .acquiring) }
}
