import Synchronization

/// A bounded event buffer for Swift code that waits for events (services, tools, tests).
///
/// When full, new events are refused (the bus counts them as dropped for this subscriber).
public final class EventQueue: EventReceiver, @unchecked Sendable {
    public let capacity: Int
    private let sync = MonotonicCondition()
    // Guarded by `sync`.
    private var items: [BusEvent] = []
    private var head = 0

    public init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
    }

    public func receive(_ event: BusEvent) -> Bool {
        sync.lock()
        defer { sync.unlock() }
        guard items.count - head < capacity else { return false }
        items.append(event)
        sync.signal()
        return true
    }

    /// The next event, waiting up to `timeout`; nil when none came.
    public func next(timeout: Duration) -> BusEvent? {
        let deadline = MonotonicClock.now() &+ UInt64(max(0, timeout.seconds) * 1e9)
        sync.lock()
        defer { sync.unlock() }
        while head == items.count {
            if !sync.wait(until: deadline) && head == items.count { return nil }
        }
        let event = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return event
    }

    /// Events waiting.
    public var count: Int {
        sync.lock()
        defer { sync.unlock() }
        return items.count - head
    }
}
