import Synchronization

/// The one place other threads hand work to a worker: a locked event list plus a condition variable the
/// worker parks on.
///
/// `@unchecked Sendable`: every access to `events` and `sleeping` happens with `sync` locked.
final class WorkerInbox: @unchecked Sendable {
    private let sync = MonotonicCondition()
    private var events: [WorkerEvent] = []
    private var sleeping = false
    /// Number of posted events not yet drained; read without the lock (spinning workers poll it).
    private let pending = Atomic<Int>(0)

    init() {
        events.reserveCapacity(64)
    }

    /// Adds an event and wakes the worker if it is parked.
    func post(_ event: WorkerEvent) {
        sync.lock()
        events.append(event)
        pending.add(1, ordering: .releasing)
        let wake = sleeping
        sleeping = false
        sync.unlock()
        if wake { sync.signal() }
    }

    /// Adds several events at once.
    func post(contentsOf batch: [WorkerEvent]) {
        guard !batch.isEmpty else { return }
        sync.lock()
        events.append(contentsOf: batch)
        pending.add(batch.count, ordering: .releasing)
        let wake = sleeping
        sleeping = false
        sync.unlock()
        if wake { sync.signal() }
    }

    /// True when events are waiting (exact once the poster's lock is released; re-checked under the lock
    /// before parking).
    var hasPending: Bool { pending.load(ordering: .acquiring) > 0 }

    /// Moves every posted event into `buffer` (which must be empty).
    func drain(into buffer: inout [WorkerEvent]) {
        sync.lock()
        swap(&events, &buffer)
        pending.store(0, ordering: .relaxed)
        sync.unlock()
    }

    /// Parks the calling worker until an event is posted or `deadline` (monotonic nanoseconds, nil = none).
    func park(until deadline: UInt64?) {
        sync.lock()
        if events.isEmpty {
            sleeping = true
            if let deadline {
                sync.wait(until: deadline)
            } else {
                sync.wait()
            }
            sleeping = false
        }
        sync.unlock()
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
