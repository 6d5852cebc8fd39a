#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A scheduler with its worker threads: the runtime object behind a `process.host` or `terminal.host` entry.
///
/// A process spawned from a process already on this host stays on the spawner's worker (locality: a
/// message between them never crosses threads); a worker with nothing to do takes not-yet-started processes
/// from a busy one. Other spawns are spread round-robin.
public final class ProcessHost: @unchecked Sendable {
    public let id: String
    // unowned(unsafe): the node outlives its hosts (it is what registers and stops them).
    public unowned(unsafe) let node: Node
    /// The worker threads; fixed after init.
    public private(set) var workers: [Worker] = []
    private let roundRobin = Atomic<Int>(0)
    /// Workers asking their peers for work (``Worker/requestWork()``): read by busy workers after every
    /// process they run, so it is one load when nobody asks.
    let workRequests = Atomic<Int>(0)
    private let makeLocal: @Sendable (Worker) -> AnyObject?
    private let state = Mutex<State>(.initial)
    /// Signalled by each worker thread as it ends.
    private let exits = ExitSignal()
    /// How long `stop` waits past its deadline for a worker that has not ended before leaving it behind.
    public static let stopGrace: Duration = .seconds(2)

    private enum State { case initial, running, stopped }

    /// - Parameters:
    ///   - workerCount: number of worker threads (at least 1).
    ///   - makeLocal: builds each worker's local resources, on that worker's thread, before it runs anything.
    public init(id: String, node: Node, workerCount: Int, makeLocal: @escaping @Sendable (Worker) -> AnyObject? = { _ in nil }) {
        self.id = id
        self.node = node
        self.makeLocal = makeLocal
        workers = (0..<max(1, workerCount)).map { Worker(index: $0, host: self) }
    }

    /// True once started and not yet stopped.
    public var isRunning: Bool { state.withLock { $0 == .running } }

    /// Starts the worker threads.
    public func start() {
        // The threads start under the lock, so a concurrent `stop` finds every handle set.
        state.withLock { state in
            guard state == .initial else { return }
            state = .running
            for worker in workers { startThread(for: worker) }
        }
    }

    private func startThread(for worker: Worker) {
        let makeLocal = self.makeLocal
        // The thread keeps its host alive: a worker left behind by `stop` may still be running.
        let body = ThreadBody { [self] in
            // Current from the first moment: the local resources are built (and freed) on the worker's thread.
            Worker.setCurrent(worker)
            worker.local = makeLocal(worker)
            worker.runLoop()
            worker.local = nil
            Worker.setCurrent(nil)
            exits.signal(worker.index)
        }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(body).toOpaque()
        let result = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        worker.thread = thread
    }

    /// Picks the worker for a new process. A spawn from one of this host's workers stays there (a message
    /// between parent and child then never crosses threads, and neighbours in a spawn sequence, a chain or a
    /// ring, stay together); a fan-out of work spreads over the cores because idle workers take over
    /// processes that have not started yet (``Worker/requestWork()``). Parent and child usually talk, and a
    /// message between processes of one worker costs a fraction of one that crosses threads.
    public func pickWorker() -> Worker {
        if let current = Worker.current, current.host === self {
            return current
        }
        let index = roundRobin.add(1, ordering: .relaxed).oldValue
        return workers[index % workers.count]
    }

    /// Cancels every process (CANCEL event), waits up to `timeout` for them to end, terminates the rest and
    /// joins the worker threads. Blocks the caller; never call it from one of this host's workers.
    ///
    /// A worker can only end a process between two of its slices. Should one be held by a call that never
    /// returns, `stop` waits for it ``stopGrace`` past the deadline, then leaves that thread running
    /// (detached) and returns, so that shutdown is never held for ever.
    public func stop(timeout: Duration = .seconds(10)) {
        let threads = state.withLock { state -> [(index: Int, thread: pthread_t)] in
            defer { state = .stopped }
            guard state == .running else { return [] }
            return workers.compactMap { worker in
                defer { worker.thread = nil }
                return worker.thread.map { (worker.index, $0) }
            }
        }
        guard !threads.isEmpty else { return }
        let deadline = MonotonicClock.now() &+ ProcessHost.nanoseconds(timeout)
        for worker in workers { worker.inbox.post(.shutdown(graceful: deadline)) }
        let giveUp = deadline &+ ProcessHost.nanoseconds(ProcessHost.stopGrace)
        for (index, thread) in threads {
            if exits.wait(for: index, until: giveUp) { pthread_join(thread, nil) } else { pthread_detach(thread) }
        }
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        UInt64(duration.components.seconds) * 1_000_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000)
    }

    /// Live processes across all workers; readable from any thread (each worker publishes its count
    /// atomically), exact once the host is idle.
    public var processCount: Int { workers.reduce(0) { $0 + $1.processCount } }
}

/// A closure handed to a new pthread.
private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Which worker threads of a host have ended; `stop` waits on it with a deadline.
private final class ExitSignal: @unchecked Sendable {
    private let sync = MonotonicCondition()
    private var ended: Set<Int> = []

    func signal(_ index: Int) {
        sync.lock()
        ended.insert(index)
        sync.unlock()
        sync.broadcast()
    }

    /// Waits until worker `index` has ended or the monotonic clock reaches `deadline`; true if it ended.
    func wait(for index: Int, until deadline: UInt64) -> Bool {
        sync.lock()
        defer { sync.unlock() }
        while !ended.contains(index) {
            if !sync.wait(until: deadline) { return ended.contains(index) }
        }
        return true
    }
}
