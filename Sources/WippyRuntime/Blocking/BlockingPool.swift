import Dispatch
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The threads where work that waits (a lock, the disk, the network) runs, so no worker thread ever waits:
/// the one place natives send such work (see ``LuaProcess/performBlocking(_:from:work:resume:)``).
///
/// A fixed set of threads (SwiftNIO's `NIOThreadPool`), started on first use and stopped with the runtime
/// that owns it (``shutdown(timeout:)``). Work beyond the thread count waits in the pool's queue, in order.
/// It is for work that ends by itself (a query, a file, a lock held by someone who will release it). A wait
/// with no bound, such as terminal input (`TerminalReader`), keeps a thread of its own instead: a few readers
/// waiting for a human would otherwise hold every pool thread.
///
/// Thread-safe.
public final class BlockingPool: Sendable {
    /// Threads when none are asked for: twice the cores, at least 4 (the work mostly waits, not computes).
    public static var defaultThreadCount: Int { max(4, 2 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    private enum State {
        case idle
        case running(NIOThreadPool)
        case stopped
    }

    public let threadCount: Int
    private let state = Mutex<State>(.idle)
    /// Work items submitted and not yet finished.
    private let inFlight = Atomic<Int>(0)

    public init(threads: Int = BlockingPool.defaultThreadCount) {
        threadCount = max(1, threads)
    }

    deinit {
        // A pool nobody shut down: let its threads end (queued work is told it was cancelled).
        if case .running(let pool) = state.withLock({ $0 }) { pool.shutdownGracefully { _ in } }
    }

    /// True once threads were started and the pool has not been shut down.
    public var isRunning: Bool {
        state.withLock { if case .running = $0 { return true } else { return false } }
    }

    /// Work items submitted and not yet finished (for statistics and tests).
    public var pendingCount: Int { inFlight.load(ordering: .relaxed) }

    /// Runs `work` on a pool thread. `work` receives `true` when it may do its job, `false` when the pool
    /// is shut down (or shuts down before the item starts): it must then only report that it could not run.
    /// It is called exactly once either way, possibly on the calling thread when the pool is already stopped.
    public func submit(_ work: @escaping @Sendable (_ active: Bool) -> Void) {
        let pool: NIOThreadPool? = state.withLock { state in
            switch state {
            case .idle:
                let pool = NIOThreadPool(numberOfThreads: threadCount)
                pool.start()
                state = .running(pool)
                return pool
            case .running(let pool):
                return pool
            case .stopped:
                return nil
            }
        }
        guard let pool else {
            work(false)
            return
        }
        inFlight.add(1, ordering: .relaxed)
        pool.submit { [self] item in
            work(item == .active)
            inFlight.subtract(1, ordering: .relaxed)
        }
    }

    /// Stops taking work: queued items are called with `false`, running ones finish. Waits up to `timeout`
    /// for the threads to end; false when some work was still running then (its thread is left to finish).
    @discardableResult
    public func shutdown(timeout: Duration) -> Bool {
        let pool: NIOThreadPool? = state.withLock { state in
            defer { state = .stopped }
            if case .running(let pool) = state { return pool }
            return nil
        }
        guard let pool else { return true }
        let done = DispatchSemaphore(value: 0)
        pool.shutdownGracefully { _ in done.signal() }
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = max(0, Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
        return done.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success
    }
}
