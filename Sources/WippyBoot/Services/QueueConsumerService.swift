import Logging
import Synchronization
import WippyCore
import WippyResources
import WippyRuntime

/// A `queue.consumer` under supervision: each run subscribes a ``QueueConsumerPool`` to the queue and runs
/// one fresh invocation of the handler function per message (with the decoded body as its only argument),
/// at most `concurrency` at once, on the configured host.
///
/// Settle rule (lua-api-io §11.4): unless the handler settled the message itself (`queue.message()`), a
/// raised error, an `x, err` return or a plain `false` nacks it (redelivered at the tail); anything else acks
/// it. A handler that crashes or is killed therefore never loses its message. Stopping stops intake, puts
/// buffered messages back and ends the run when the handlers in flight are done; terminating kills them
/// (their messages go back too).
final class QueueConsumerService: SupervisedService {
    let id: EntryID
    let config: QueueConsumerConfig
    let runtime: LuaRuntime
    private struct Current {
        var run: Int
        var pool: QueueConsumerPool
        var lease: ResourceLease
        var handlers: Set<PID> = []
    }
    private let current = Mutex<Current?>(nil)

    init(id: EntryID, config: QueueConsumerConfig, runtime: LuaRuntime) {
        self.id = id
        self.config = config
        self.runtime = runtime
    }

    func start(_ run: ServiceRun) {
        let lease: ResourceLease
        let queue: MessageQueue
        do throws(WippyError) {
            (lease, queue) = try runtime.resources.acquire(config.queue, as: MessageQueue.self, what: "a queue")
        } catch {
            run.exited(.failure("queue \(config.queue): \(error.message)"))
            return
        }
        guard runtime.program(config.function) != nil else {
            lease.release()
            run.exited(.failure("handler \(config.function) not found"))
            return
        }
        guard let host = runtime.node.host(config.host.description), host.isRunning else {
            lease.release()
            run.exited(.failure("host \(config.host) is not running"))
            return
        }
        let number = run.number
        let pool = QueueConsumerPool(queue: queue.buffer, concurrency: config.concurrency, prefetch: config.prefetch) {
            [weak self] delivery, completion in
            guard let self else { return completion(.nack) }
            self.handle(delivery, host: host, run: number, completion: completion)
        }
        current.withLock { $0 = Current(run: number, pool: pool, lease: lease) }
        pool.start()
        run.started()
    }

    private func handle(
        _ delivery: QueueDelivery, host: ProcessHost, run: Int, completion: @escaping @Sendable (QueueSettle) -> Void
    ) {
        let node = runtime.node
        if config.autoAck { delivery.settleIfPending(requeue: false) }
        guard let program = runtime.program(config.function) else {
            runtime.logger.error("queue consumer \(id): handler \(config.function) not found; message \(delivery.message.id) requeued")
            return completion(.nack)
        }
        let pid = node.allocatePID(host: "\(config.function)#queue")
        let key = InvocationKey(node: ObjectIdentifier(node), pid: pid)
        let active = ActiveDelivery(delivery)
        ActiveDeliveries.shared.register(key, active)
        current.withLock { if $0?.run == run { $0?.handlers.insert(pid) } }
        let (logger, id, function) = (runtime.logger, id, config.function)
        let options = SpawnOptions(onExit: { [weak self] _, result in
            ActiveDeliveries.shared.remove(key)
            active.release()
            self?.current.withLock { _ = $0?.handlers.remove(pid) }
            let settle: QueueSettle
            if let error = result.error {
                logger.warning("queue consumer \(id): \(function) failed, message \(delivery.message.id) requeued: \(error.message)")
                settle = .nack
            } else {
                settle = result.value == .bool(false) ? .nack : .ack
            }
            completion(settle)
        })
        // A function.lua runs as a function call; a process.lua handler as a short process (as funcs.call does).
        let mode: LuaProcess.Mode = program.kind == .function ? .function : .process
        let starter = LuaProcessStarter(program: program, mode: mode, arguments: [delivery.message.body])
        node.spawn(on: host, starter: starter, options: options, pid: pid)
    }

    func stop(_ run: ServiceRun) {
        guard let (pool, lease) = current.withLock({ $0?.run == run.number ? ($0!.pool, $0!.lease) : nil }) else {
            return run.exited(.normal)
        }
        pool.stop { [weak self] in
            self?.current.withLock { if $0?.run == run.number { $0 = nil } }
            lease.release()
            run.exited(.normal)
        }
    }

    func terminate(_ run: ServiceRun) {
        let handlers = current.withLock { $0?.run == run.number ? $0!.handlers : [] }
        for pid in handlers { runtime.node.terminate(pid) }
    }

    /// Handlers running, messages buffered, handlers ended (for tests and status).
    var stats: (running: Int, buffered: Int, handled: Int)? { current.withLock { $0?.pool.stats } }
}
