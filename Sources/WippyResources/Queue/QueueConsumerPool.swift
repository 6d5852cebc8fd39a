import WippyCore
import Synchronization

/// What a handler's run asks for its message when it ends.
public enum QueueSettle: Sendable, Equatable {
    case ack
    case nack
}

/// The worker side of a `queue.consumer`: takes up to `concurrency + prefetch` messages from the queue at a
/// time (`prefetch` wait in a local buffer), runs at most `concurrency` handlers at once, and settles each
/// message when its handler ends, unless the handler settled it itself.
///
/// ``stop(_:)`` stops intake, puts the buffered messages back on the queue (nack) and calls its completion
/// once the handlers in flight have ended. Thread-safe; no thread of its own: handlers are started by
/// ``Handler`` (which must not block) and report back through the completion they are given.
public final class QueueConsumerPool: Sendable {
    /// Starts handling `delivery`; calls the completion (from any thread) when the handler ended.
    public typealias Handler = @Sendable (QueueDelivery, _ completion: @escaping @Sendable (QueueSettle) -> Void) -> Void

    struct State {
        var pending = FIFO<QueueDelivery>()
        var running = 0
        var subscription: UInt64?
        var stopping = false
        var stopped: (@Sendable () -> Void)?
        var handled = 0
    }

    public let queue: MemoryQueue
    public let concurrency: Int
    public let prefetch: Int
    private let handler: Handler
    private let state = Mutex(State())

    public init(queue: MemoryQueue, concurrency: Int, prefetch: Int, handler: @escaping Handler) {
        self.queue = queue
        self.concurrency = max(1, concurrency)
        self.prefetch = max(0, prefetch)
        self.handler = handler
    }

    public func start() {
        let id = queue.subscribe(credit: concurrency + prefetch) { [weak self] delivery in
            guard let self else {
                delivery.settleIfPending(requeue: true)
                return
            }
            self.received(delivery)
        }
        state.withLock { $0.subscription = id }
    }

    /// Stops taking messages; `stopped` runs once every running handler ended (at once when none runs).
    public func stop(_ stopped: @escaping @Sendable () -> Void) {
        let (subscription, buffered, idle) = state.withLock { state -> (UInt64?, [QueueDelivery], Bool) in
            state.stopping = true
            let subscription = state.subscription
            state.subscription = nil
            let idle = state.running == 0
            if !idle { state.stopped = stopped }
            return (subscription, state.pending.removeAll(), idle)
        }
        if let subscription { queue.unsubscribe(subscription) }
        for delivery in buffered { delivery.settleIfPending(requeue: true) }
        if idle { stopped() }
    }

    /// Handlers running now, messages waiting in the local buffer, handlers ended so far.
    public var stats: (running: Int, buffered: Int, handled: Int) {
        state.withLock { ($0.running, $0.pending.count, $0.handled) }
    }

    private func received(_ delivery: QueueDelivery) {
        let start = state.withLock { state -> Bool in
            if state.stopping { return false }
            if state.running < concurrency {
                state.running += 1
                return true
            }
            state.pending.append(delivery)
            return false
        }
        if start {
            run(delivery)
        } else if state.withLock({ $0.stopping }) {
            delivery.settleIfPending(requeue: true)
        }
    }

    private func run(_ delivery: QueueDelivery) {
        handler(delivery) { [self] settle in
            delivery.settleIfPending(requeue: settle == .nack)
            finished()
        }
    }

    private func finished() {
        let (next, stopped) = state.withLock { state -> (QueueDelivery?, (@Sendable () -> Void)?) in
            state.handled += 1
            if !state.stopping, let next = state.pending.popFirst() { return (next, nil) }
            state.running -= 1
            if state.stopping && state.running == 0, let stopped = state.stopped {
                state.stopped = nil
                return (nil, stopped)
            }
            return (nil, nil)
        }
        if let next { run(next) }
        stopped?()
    }
}
