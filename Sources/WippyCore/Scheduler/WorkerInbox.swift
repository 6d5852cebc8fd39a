import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one place other threads hand work to a worker: a locked event list plus a condition variable the
/// worker parks on.
///
/// `@unchecked Sendable`: every access to `events` and `sleeping` happens with `mutex` held.
final class WorkerInbox: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var events: [WorkerEvent] = []
    private var sleeping = false
    /// Number of posted events not yet drained; read without the lock (spinning workers poll it).
    private let pending = Atomic<Int>(0)

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
        events.reserveCapacity(64)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(condition)
        mutex.deallocate()
        condition.deallocate()
    }

    /// Adds an event and wakes the worker if it is parked.
    func post(_ event: WorkerEvent) {
        pthread_mutex_lock(mutex)
        events.append(event)
        pending.add(1, ordering: .releasing)
        let wake = sleeping
        sleeping = false
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
    }

    /// Adds several events at once.
    func post(contentsOf batch: [WorkerEvent]) {
        guard !batch.isEmpty else { return }
        pthread_mutex_lock(mutex)
        events.append(contentsOf: batch)
        pending.add(batch.count, ordering: .releasing)
        let wake = sleeping
        sleeping = false
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
    }

    /// True when events are waiting (exact once the poster's lock is released; re-checked under the lock
    /// before parking).
    var hasPending: Bool { pending.load(ordering: .acquiring) > 0 }

    /// Moves every posted event into `buffer` (which must be empty).
    func drain(into buffer: inout [WorkerEvent]) {
        pthread_mutex_lock(mutex)
        swap(&events, &buffer)
        pending.store(0, ordering: .relaxed)
        pthread_mutex_unlock(mutex)
    }

    /// Parks the calling worker until an event is posted or `deadline` (monotonic nanoseconds, nil = none).
    func park(until deadline: UInt64?) {
        pthread_mutex_lock(mutex)
        if events.isEmpty {
            sleeping = true
            if let deadline {
                var spec = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
                _ = pthread_cond_timedwait(condition, mutex, &spec)
            } else {
                pthread_cond_wait(condition, mutex)
            }
            sleeping = false
        }
        pthread_mutex_unlock(mutex)
    }
}

/// Work handed to a worker from another thread.
enum WorkerEvent {
    case start(ProcessCell)
    case deliver(ProcessCell, MailboxItem)
    case complete(ProcessCell, token: UInt64, Completion)
    case terminate(ProcessCell, ProcessResult)
    case perform(@Sendable (Worker) -> Void)
    case shutdown(graceful: UInt64)
    case stop
}
