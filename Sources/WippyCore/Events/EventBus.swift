import Synchronization

/// Receives events from the bus. `receive` runs on the sender's thread while the bus keeps its global order,
/// so it must not block: hand the event to a queue or a mailbox and return.
public protocol EventReceiver: AnyObject, Sendable {
    /// Takes one event; false when the receiver had no room and dropped it (the bus counts drops).
    func receive(_ event: BusEvent) -> Bool
}

/// One subscription: the patterns it matches and what receives its events.
public final class EventSubscription: Sendable, CustomStringConvertible {
    public let id: UInt64
    public let system: EventPattern
    public let kind: EventPattern
    let receiver: any EventReceiver
    private let droppedCounter = Atomic<Int>(0)

    init(id: UInt64, system: EventPattern, kind: EventPattern, receiver: any EventReceiver) {
        self.id = id
        self.system = system
        self.kind = kind
        self.receiver = receiver
    }

    /// Events this subscriber could not take because its buffer was full.
    public var dropped: Int { droppedCounter.load(ordering: .relaxed) }

    func deliver(_ event: BusEvent) {
        guard system.matches(event.system), kind.matches(event.kind) else { return }
        if !receiver.receive(event) { droppedCounter.add(1, ordering: .relaxed) }
    }

    public var description: String { "sub.\(id)" }
}

/// The event bus: publish/subscribe by system and kind patterns.
///
/// Events reach every matching subscriber in global send order (sends are serialised). Delivery never
/// waits for a subscriber: each one has a bounded buffer (its receiver's), and an event that finds it full
/// is dropped for that subscriber alone and counted — a slow subscriber loses events instead of stalling
/// the bus. At most ``maximumSubscribers`` subscriptions exist at once.
public final class EventBus: Sendable {
    public static let maximumSubscribers = 4096

    private let subscribers = Mutex<[EventSubscription]>([])
    /// Interests handed out by ``interest(inSystem:)``; updated under the `subscribers` lock.
    private let interests = Mutex<[String: EventInterest]>([:])
    /// Held while an event is delivered, so all subscribers see sends in the same order.
    private let sending = Mutex<Void>(())
    private let counter = Atomic<UInt64>(0)

    public init() {}

    /// Subscribes `receiver` to events whose system matches `system` and whose kind matches `kind`
    /// (nil, empty or `*`: every kind).
    public func subscribe(system: String, kind: String? = nil, receiver: any EventReceiver) throws(WippyError) -> EventSubscription {
        try subscribe(system: EventPattern(system), kind: EventPattern(kind ?? ""), receiver: receiver)
    }

    /// Subscribes `receiver` to events whose system and kind match the patterns.
    public func subscribe(system: EventPattern, kind: EventPattern, receiver: any EventReceiver) throws(WippyError)
        -> EventSubscription
    {
        let subscription = EventSubscription(
            id: counter.add(1, ordering: .relaxed).newValue, system: system, kind: kind, receiver: receiver)
        let added = subscribers.withLock { list -> Bool in
            guard list.count < EventBus.maximumSubscribers else { return false }
            list.append(subscription)
            updateInterests(list)
            return true
        }
        guard added else {
            throw WippyError("too many event subscribers (at most \(EventBus.maximumSubscribers))", kind: .unavailable)
        }
        return subscription
    }

    /// Ends a subscription (no effect if already ended).
    public func unsubscribe(_ subscription: EventSubscription) {
        subscribers.withLock { list in
            list.removeAll { $0 === subscription }
            updateInterests(list)
        }
    }

    /// The interest in events of `system` (the same object for the same system): active while some
    /// subscription's system pattern matches it.
    public func interest(inSystem system: String) -> EventInterest {
        subscribers.withLock { list in
            interests.withLock { table in
                if let existing = table[system] { return existing }
                let made = EventInterest(system: system)
                made.update(list)
                table[system] = made
                return made
            }
        }
    }

    /// Called with the `subscribers` lock held.
    private func updateInterests(_ list: [EventSubscription]) {
        interests.withLock { table in
            for interest in table.values { interest.update(list) }
        }
    }

    public var subscriberCount: Int { subscribers.withLock { $0.count } }

    /// Publishes an event to every matching subscriber.
    public func send(_ event: BusEvent) {
        sending.withLock { _ in
            let current = subscribers.withLock { $0 }
            for subscription in current { subscription.deliver(event) }
        }
    }

    /// Publishes several events in order, with no other send in between.
    public func send(contentsOf events: [BusEvent]) {
        guard !events.isEmpty else { return }
        sending.withLock { _ in
            let current = subscribers.withLock { $0 }
            for event in events {
                for subscription in current { subscription.deliver(event) }
            }
        }
    }
}
