#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex and a condition variable whose timed waits use the monotonic clock (deadlines in
/// ``MonotonicClock/now()`` nanoseconds, never moved by a change of the wall clock): what threads of the core
/// park on (workers, event queues, a host waiting for its workers to end).
///
/// Noncopyable: it owns its pthread objects, which must stay at one address. Its methods are inlined, so the
/// workers' park and post paths cost what direct pthread calls do.
struct MonotonicCondition: ~Copyable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    init() {
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

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` with the mutex held.
    @inline(__always) func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Wakes one waiter.
    @inline(__always) func signal() { pthread_cond_signal(condition) }
    /// Wakes every waiter.
    @inline(__always) func broadcast() { pthread_cond_broadcast(condition) }

    /// Waits for a signal (the mutex held; it is held again on return). May wake spuriously.
    @inline(__always) func wait() { pthread_cond_wait(condition, mutex) }

    /// Waits for a signal until the monotonic clock reaches `deadline` (the mutex held; it is held again on
    /// return). Returns false when the deadline passed. May wake spuriously.
    @inline(__always) @discardableResult
    func wait(until deadline: UInt64) -> Bool {
        var spec = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &spec) != ETIMEDOUT
    }
}
