public import WippyCore
import Synchronization

/// One named buffer of the memory queue driver: publishers add at the tail, subscribers get messages pushed
/// to them while they have credit (a message taken and not yet settled uses one), a nack puts the message
/// back at the tail.
///
/// - A full buffer (`maxLength` ready messages) parks publishers in order; each is added, and told, when
///   room frees up.
/// - A nacked message goes back even when the buffer is full (it was already counted when published), so a
///   handler that fails or crashes never loses its message.
/// - Subscribers are served in turn; there is no ordering guarantee across them.
///
/// Thread-safe; callbacks run outside the lock, on the thread that made the change.
public final class MemoryQueue: Sendable {
    public typealias Deliver = @Sendable (QueueDelivery) -> Void
    public typealias Published = @Sendable (Result<Void, WippyError>) -> Void

    struct Subscriber {
        var credit: Int
        let deliver: Deliver
    }

    struct State {
        var ready = FIFO<QueueMessage>()
        var parked = FIFO<(QueueMessage, Published)>()
        var subscribers: [UInt64: Subscriber] = [:]
        var order: [UInt64] = []
        var turn = 0
        var nextSubscriber: UInt64 = 0
        var inFlight = 0
        var closed = false
    }

    public let name: String
    private let capacity = Atomic<Int>(0)
    private let state = Mutex(State())

    public init(name: String, maxLength: Int) {
        self.name = name
        capacity.store(max(1, maxLength), ordering: .relaxed)
    }

    /// The most ready messages before publishers wait.
    public var maxLength: Int {
        get { capacity.load(ordering: .relaxed) }
        set { capacity.store(max(1, newValue), ordering: .relaxed) }
    }

    /// Adds `message`. Returns true when it was added at once; false when the buffer is full: the
    /// message waits its turn and `published` is called once it is in (or with an error if the queue closes).
    public func publish(_ message: QueueMessage, published: @escaping Published) throws(WippyError) -> Bool {
        let (added, work) = try state.withLock { state throws(WippyError) -> (Bool, [() -> Void]) in
            if state.closed { throw WippyError.unavailable("queue \(name) is closed") }
            if state.ready.count >= maxLength || !state.parked.isEmpty {
                state.parked.append((message, published))
                return (false, [])
            }
            state.ready.append(message)
            return (true, dispatch(&state))
        }
        for item in work { item() }
        return added
    }

    /// Starts pushing messages to `deliver`, up to `credit` unsettled at a time. Returns the subscription.
    public func subscribe(credit: Int, deliver: @escaping Deliver) -> UInt64 {
        let (id, work) = state.withLock { state -> (UInt64, [() -> Void]) in
            state.nextSubscriber += 1
            let id = state.nextSubscriber
            state.subscribers[id] = Subscriber(credit: max(1, credit), deliver: deliver)
            state.order.append(id)
            return (id, dispatch(&state))
        }
        for item in work { item() }
        return id
    }

    /// Stops pushing to subscription `id`; messages it holds stay in flight until settled.
    public func unsubscribe(_ id: UInt64) {
        state.withLock { state in
            state.subscribers[id] = nil
            state.order.removeAll { $0 == id }
        }
    }

    func settled(_ delivery: QueueDelivery, requeue: Bool) {
        let work = state.withLock { state -> [() -> Void] in
            state.inFlight -= 1
            if state.subscribers[delivery.subscriber] != nil { state.subscribers[delivery.subscriber]!.credit += 1 }
            if requeue && !state.closed { state.ready.append(delivery.message) }
            return dispatch(&state)
        }
        for item in work { item() }
    }

    /// Hands ready messages to subscribers with credit and lets parked publishers in; returns the callbacks
    /// to run once the lock is released.
    private func dispatch(_ state: inout State) -> [() -> Void] {
        var work: [() -> Void] = []
        let limit = maxLength
        while true {
            while !state.ready.isEmpty, let id = nextWithCredit(&state), let message = state.ready.popFirst() {
                state.subscribers[id]!.credit -= 1
                state.inFlight += 1
                let delivery = QueueDelivery(message: message, queue: self, subscriber: id)
                let deliver = state.subscribers[id]!.deliver
                work.append { deliver(delivery) }
            }
            // Room made by the deliveries lets parked publishers in; their messages may go out at once.
            var admitted = false
            while state.ready.count < limit, let (message, published) = state.parked.popFirst() {
                state.ready.append(message)
                work.append { published(.success(())) }
                admitted = true
            }
            if !admitted || state.order.isEmpty { return work }
        }
    }

    /// The next subscriber in turn that has credit, nil when none has.
    private func nextWithCredit(_ state: inout State) -> UInt64? {
        let count = state.order.count
        for step in 0..<count {
            let id = state.order[(state.turn + step) % count]
            if let subscriber = state.subscribers[id], subscriber.credit > 0 {
                state.turn = (state.turn + step + 1) % count
                return id
            }
        }
        return nil
    }

    /// Refuses further publishes and fails parked ones.
    public func close() {
        let parked = state.withLock { state -> [(QueueMessage, Published)] in
            state.closed = true
            return state.parked.removeAll()
        }
        for (_, published) in parked { published(.failure(.unavailable("queue \(name) is closed"))) }
    }

    /// Ready messages, subscribers, messages taken and not settled.
    public var stats: (ready: Int, consumers: Int, inFlight: Int) {
        state.withLock { ($0.ready.count, $0.subscribers.count, $0.inFlight) }
    }
}
