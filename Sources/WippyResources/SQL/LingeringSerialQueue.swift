import DequeModule
import Dispatch
import Synchronization
import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// A serial queue (jobs run one at a time, in submission order, on a Dispatch thread) whose drainer, once
/// it has run out of jobs, keeps polling for a new one for a short while before it gives its thread back.
///
/// Why: a Lua process writing row after row hands each statement over, waits for the answer, and submits
/// the next one some 10-30 µs later. A plain `DispatchQueue` has by then parked its thread, so every
/// statement pays a futex wake-up of a sleeping thread (tens of µs on a VM), on top of the one the worker
/// saves by polling for the answer (``Worker``'s nearby completions). Polling costs CPU only for the
/// linger, and only after a job ran. With no linger it is a plain serial queue.
final class LingeringSerialQueue: Sendable {
    private struct State {
        var jobs: Deque<@Sendable () -> Void> = []
        /// A drainer is running (or scheduled) on the Dispatch queue.
        var draining = false
    }

    private let queue: DispatchQueue
    private let state = Mutex(State())
    /// Jobs submitted and not yet taken: what the lingering drainer polls, without the lock.
    private let queued = Atomic<Int>(0)
    private let lingerNanoseconds: UInt64

    /// How long a drainer polls for a next job (60 µs: a Lua loop's turn between two statements is 10-30 µs);
    /// `WIPPY_SQLITE_LINGER_US` overrides it (0 turns it off), to measure. On a quiet 2-core host, FULL
    /// inserts from Lua went from ~0.63 to ~0.82 of C with it (with the worker's spin), and on tmpfs from
    /// ~28k to ~70k/s. On a host loaded by other builds the figures were mixed: spinning there competes
    /// with the thread it waits for, which is why both spins yield their core every few rounds.
    static let defaultLingerNanoseconds: UInt64 = {
        guard let raw = getenv("WIPPY_SQLITE_LINGER_US"), let micros = UInt64(String(cString: raw)) else { return 60_000 }
        return micros &* 1_000
    }()

    init(label: String, lingerNanoseconds: UInt64 = LingeringSerialQueue.defaultLingerNanoseconds) {
        queue = DispatchQueue(label: label)
        self.lingerNanoseconds = lingerNanoseconds
    }

    /// Runs `job` after every job submitted before it.
    func async(_ job: @escaping @Sendable () -> Void) {
        let startDrainer = state.withLock { state -> Bool in
            state.jobs.append(job)
            queued.wrappingAdd(1, ordering: .releasing)
            if state.draining { return false }
            state.draining = true
            return true
        }
        if startDrainer { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            while let job = next() { job() }
            if lingerNanoseconds != 0, linger() { continue }
            // Nothing came: give the thread back, unless a job slipped in since the last look.
            let done = state.withLock { state -> Bool in
                if !state.jobs.isEmpty { return false }
                state.draining = false
                return true
            }
            if done { return }
        }
    }

    private func next() -> (@Sendable () -> Void)? {
        state.withLock { state in
            guard let job = state.jobs.popFirst() else { return nil }
            queued.wrappingSubtract(1, ordering: .relaxed)
            return job
        }
    }

    /// Polls for a submitted job for up to the linger; true when one came.
    private func linger() -> Bool {
        var now = MonotonicClock.now()
        let deadline = now &+ lingerNanoseconds
        var rounds = 0
        while now < deadline {
            if queued.load(ordering: .acquiring) > 0 { return true }
            rounds &+= 1
            if rounds & 31 == 0 {
                now = MonotonicClock.now()
                // Where threads outnumber cores, the submitter may be waiting for this core.
                if Worker.nearbySpinYields { sched_yield() }
            }
        }
        return queued.load(ordering: .acquiring) > 0
    }
}
