import Foundation
import Synchronization
import WippyCore

/// The serial queue where an SQLite database runs what may wait for the disk or a lock (commits that sync,
/// checkpoints, transactions, opening and closing): jobs run one at a time, in the order given, on a thread
/// of the queue's own.
///
/// Why not a dispatch queue: a single-row insert with `synchronous=FULL` is a hand-off from a worker, an
/// fsync here, and a hand-off back; the process then asks for its next insert within microseconds. A
/// dispatch queue's thread has gone to sleep by then, so every insert paid a second thread wake-up (a
/// futex wake, and on a virtual machine the wait for the woken thread to be scheduled). This thread polls
/// for a short while (``spinNanoseconds``) after its last job before it parks, so a follow-up job that
/// comes at once is taken without a wake-up on either side. A thread idle for ``idleExitSeconds`` ends (a
/// database nobody closed leaves no thread behind); the next job starts a new one.
///
/// Thread-safe: `jobs`, `running` and `parked` are guarded by `condition`; `queued` is read while polling.
final class SQLiteExecutor: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    /// How long the thread polls for a next job after its last one before it parks.
    static let spinNanoseconds: UInt64 = 50_000
    /// How long a parked thread waits for a job before it ends.
    static let idleExitSeconds: TimeInterval = 1

    let label: String
    private let condition = NSCondition()
    private var jobs: [Job] = []
    /// Whether a thread serves the queue (set when one is started, cleared by the thread as it ends).
    private var running = false
    /// Whether the thread waits on `condition` (a new job must signal it).
    private var parked = false
    /// Jobs queued and not yet taken (what the polling thread reads without the lock).
    private let queued = Atomic<Int>(0)
    /// Threads started so far (for tests: an idle queue ends its thread, a busy one keeps it).
    private let started = Atomic<Int>(0)

    init(label: String) {
        self.label = label
    }

    /// Queues `job` to run after every job queued before it.
    func async(_ job: @escaping Job) {
        condition.lock()
        jobs.append(job)
        queued.add(1, ordering: .releasing)
        let start = !running
        if start { running = true }
        let wake = parked
        condition.unlock()
        // Signalled after the unlock, so the woken thread does not at once block on the lock held here.
        if start {
            started.add(1, ordering: .relaxed)
            let thread = Thread { [self] in serve() }
            thread.name = label
            thread.start()
        } else if wake {
            condition.signal()
        }
    }

    /// Threads started since the queue was made.
    var threadsStarted: Int { started.load(ordering: .relaxed) }

    /// Whether a thread serves the queue now (false once an idle one has ended).
    var hasThread: Bool {
        condition.lock()
        defer { condition.unlock() }
        return running
    }

    /// The thread's loop: takes everything queued, runs it, polls briefly, parks; ends once idle too long.
    private func serve() {
        condition.lock()
        while true {
            if jobs.isEmpty {
                condition.unlock()
                let arrived = pollForJob()
                condition.lock()
                if arrived || !jobs.isEmpty { continue }
                parked = true
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: Self.idleExitSeconds))
                parked = false
                if !signalled && jobs.isEmpty {
                    running = false
                    condition.unlock()
                    return
                }
                continue
            }
            let batch = jobs
            jobs = []
            queued.store(0, ordering: .relaxed)
            condition.unlock()
            for job in batch { job() }
            condition.lock()
        }
    }

    /// Polls `queued` for up to ``spinNanoseconds``; true when a job came.
    private func pollForJob() -> Bool {
        let limit = MonotonicClock.now() &+ Self.spinNanoseconds
        var rounds = 0
        while true {
            if queued.load(ordering: .acquiring) > 0 { return true }
            rounds &+= 1
            if rounds & 63 == 0 && MonotonicClock.now() >= limit { return false }
        }
    }
}
