import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded event buffer for Swift code that waits for events (services, tools, tests).
///
/// When full, new events are refused (the bus counts them as dropped for this subscriber).
public final class EventQueue: EventReceiver, @unchecked Sendable {
    public let capacity: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `mutex`.
    private var items: [BusEvent] = []
    private var head = 0

    public init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(condition)
        mutex.deallocate()
        condition.deallocate()
    }

    public func receive(_ event: BusEvent) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard items.count - head < capacity else { return false }
        items.append(event)
        pthread_cond_signal(condition)
        return true
    }

    /// The next event, waiting up to `timeout`; nil when none came.
    public func next(timeout: Duration) -> BusEvent? {
        let deadline = MonotonicClock.now() &+ UInt64(max(0, timeout.seconds) * 1e9)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while head == items.count {
            var spec = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
            if pthread_cond_timedwait(condition, mutex, &spec) != 0 && head == items.count { return nil }
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
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return items.count - head
    }
}
