#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import DequeModule
public import Synchronization

/// One scheduler thread of a ``ProcessHost``: it owns a run queue, a timer wheel and the processes placed on it.
///
/// A started process never moves to another worker, so everything about it (its behaviour, its mailbox, the
/// Lua state it lives in, which is the worker's ``local``) is touched by this one thread. Other threads reach
/// it through the worker's inbox (``post(_:)``). Only a process that has not started yet may be handed to an
/// idle peer (``serveWorkRequests()``), by this thread.
///
/// `@unchecked Sendable`: the confined state (`runQueue`, `timers`, `localEvents`, `local`) is only used on
/// the worker thread (debug builds check it: ``assertCurrent(_:file:line:)``); the inbox is internally
/// locked; what other threads read (``processCount``, the published load and bytes) is atomic.
public final class Worker: @unchecked Sendable {
    public let index: Int
    // unowned(unsafe): the host owns its workers.
    public unowned(unsafe) let host: ProcessHost
    @usableFromInline let inbox = WorkerInbox()

    // Worker-confined. The queues are usable from inlinable code for ``mayRunNext(_:)``.
    @usableFromInline var runQueue: Deque<ProcessCell> = []
    /// The run queue held more than `retainedQueueCapacity` items since it was last empty.
    var runQueueGrew = false
    var timers = TimerWheel()
    @usableFromInline var localEvents: Deque<WorkerEvent> = []
    var shutdownDeadline: UInt64?
    var stopping = false
    /// Live processes started on this worker: written by the worker only, readable from any thread.
    private let liveProcesses = Atomic<Int>(0)
    public var processCount: Int { liveProcesses.load(ordering: .relaxed) }
    /// Adds `delta` to ``processCount`` (worker thread only: the single writer needs no atomic add).
    func countProcesses(_ delta: Int) {
        liveProcesses.store(liveProcesses.load(ordering: .relaxed) + delta, ordering: .relaxed)
    }
    /// Worker-local resources created by the host's `makeLocal` (for Lua: the worker's Lua state).
    public var local: AnyObject?
    /// Processes waiting here to start (``pendingStarts``), as last published by the worker; read by idle
    /// peers deciding whether to ask for work at once.
    let publishedLoad = Atomic<Int>(0)
    /// False while the worker is idle (spinning for work or parked); read by idle peers deciding whether
    /// to spin.
    let awake = Atomic<Bool>(true)
    /// Not-yet-started processes waiting here (worker thread only): what an idle peer may take over.
    var pendingStarts = 0
    /// This worker's request for work from its peers (see ``Worker/requestWork()``): one of the `Steal` values.
    let stealState = Atomic<UInt8>(Steal.none)
    enum Steal {
        static let none: UInt8 = 0
        /// Idle and asking: a busy peer may claim the request (then `claimed`), or the worker withdraws it.
        static let requested: UInt8 = 1
        /// A peer is moving processes here; the worker runs nothing until it is `answered`.
        static let claimed: UInt8 = 2
        /// The peer's processes (if any) are in the inbox.
        static let answered: UInt8 = 3
    }
    /// Completions this worker's processes await from work that another thread of this program is doing
    /// right now, on the CPU and the local disk (an SQLite statement on its executor, a flush of its log):
    /// answered within a fraction of a millisecond, unlike the network or a timer. While one is due the
    /// idle worker polls its inbox longer before parking (``Worker/spinForWork(until:)``), so the answer
    /// costs no futex wake-up of a sleeping thread (tens of microseconds on a VM). Counted up and down by
    /// the awaiting side (``expectNearbyCompletion()``, ``nearbyCompletionArrived()``), from any thread.
    let nearbyCompletions = Atomic<Int>(0)
    /// Completions this worker's processes await from a database server (``CompletionSource/server``),
    /// counted like ``nearbyCompletions``.
    let serverCompletions = Atomic<Int>(0)

    /// Bytes held by the local resources, as last published by the worker (for statistics).
    public let publishedBytes = Atomic<Int>(0)

    /// The worker's thread, while it runs (set and cleared under the host's state lock).
    var thread: pthread_t?

    init(index: Int, host: ProcessHost) {
        self.index = index
        self.host = host
    }

    /// True when called on this worker's thread.
    public var isCurrent: Bool { Worker.current === self }

    /// Stops a debug build when called off this worker's thread (for the worker-confined entry points);
    /// compiled out of release builds.
    @inline(__always)
    public func assertCurrent(_ function: StaticString = #function, file: StaticString = #fileID, line: UInt = #line) {
        assert(isCurrent, "\(function) must run on the thread of worker \(index) of host \(host.id)", file: file, line: line)
    }

    /// The worker whose thread is running the caller, if any.
    public static var current: Worker? {
        guard let raw = pthread_getspecific(currentWorkerKey) else { return nil }
        return Unmanaged<Worker>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: - Called on the worker thread

    /// Puts a process in the run queue (no-op if already queued or finished).
    public func schedule(_ process: ProcessCell) {
        assertCurrent()
        guard !process.isQueued, !process.isFinished else { return }
        process.isQueued = true
        runQueue.append(process)
    }

    /// ``schedule(_:)`` for a process the caller holds retained by hand (a fired timer's): that reference
    /// moves into the run queue, or is released when the process is already queued or has finished.
    func schedule(retained cell: Unmanaged<ProcessCell>) {
        let queues = cell._withUnsafeGuaranteedRef { process in
            guard !process.isQueued, !process.isFinished else { return false }
            process.isQueued = true
            return true
        }
        if queues { runQueue.append(cell.takeRetainedValue()) } else { cell.release() }
    }

    /// Whether `process` (of this worker, just made ready by the running process) may run next without going
    /// through the run queue: nothing else waits here (no queued process, local event or inbox post, so
    /// nobody is passed over) and it is neither queued nor finished. Lets a runtime switch straight from
    /// process to process on a message hand-off. Inlinable: the runtime asks it on every switched hop, where
    /// a call cost about as much as the five loads.
    @inlinable @inline(__always)
    public func mayRunNext(_ process: ProcessCell) -> Bool {
        nothingElseWaits && !process.isQueued && !process.isFinished
    }

    /// Whether nothing else waits on this worker (no queued process, no local event, nothing from other
    /// threads): a process woken now may run next without passing anyone (the ghost switch of the C hand-off).
    @inlinable @inline(__always)
    public var nothingElseWaits: Bool { runQueue.isEmpty && localEvents.isEmpty && !inbox.hasPending }

    /// Whether `process`, made ready earlier and let run next (``mayRunNext(_:)``), may still run now: it was
    /// neither queued since nor finished.
    @inlinable @inline(__always)
    public func mayRunNow(_ process: ProcessCell) -> Bool { !process.isQueued && !process.isFinished }

    /// Arms a one-shot timer; the behaviour's `timerFired` receives `token`.
    public func arm(_ process: ProcessCell, after nanoseconds: UInt64, token: UInt64) {
        assertCurrent()
        timers.insert(deadline: MonotonicClock.now() &+ nanoseconds, process: process, token: token)
    }

    /// Arms a timer at an absolute monotonic deadline.
    public func arm(_ process: ProcessCell, at deadline: UInt64, token: UInt64) {
        assertCurrent()
        timers.insert(deadline: deadline, process: process, token: token)
    }

    // MARK: - Called from any thread

    /// Hands an event to this worker (directly when already on its thread).
    func post(_ event: consuming WorkerEvent) {
        if isCurrent { localEvents.append(event) } else { inbox.post(event) }
    }

    /// Starts a new process here. From this worker's own thread (a process spawning a child that stays with
    /// it, the usual case) the start is handled at once: queued as a local event it would only be copied
    /// through one more deque (which a burst of spawns also grows and frees again) before reaching the run
    /// queue. Nothing can be ahead of it there: the cell is new, so no earlier event concerns it.
    func start(_ process: ProcessCell) {
        if isCurrent { startHere(process) } else { inbox.post(.start(process)) }
    }

    /// Appends a mailbox item for a process of this worker. On the worker's own thread the item goes straight
    /// into the mailbox (the target is not running: only the sender is, and a process sending to itself just
    /// sees the item appear); from other threads it goes through the inbox.
    /// `self` is the process's runner as the caller just read it.
    public func deliver(_ item: consuming MailboxItem, to process: ProcessCell) {
        if isCurrent {
            deliverHere(item, to: process)
        } else {
            process.postTarget(self).post(.deliver(process, item))
        }
    }

    /// Delivers from a sender known to run on this worker's thread (no thread check).
    public func deliverFromHere(_ item: consuming MailboxItem, to process: ProcessCell) {
        deliverHere(item, to: process)
    }

    /// Worker thread only.
    func deliverHere(_ item: consuming MailboxItem, to process: ProcessCell) {
        assertCurrent()
        guard !process.isFinished else { return }
        guard let behavior = process.behavior else {
            process.appendToMailbox(item)
            return
        }
        switch behavior.offer(item, to: process) {
        case .taken(let wake):
            if wake { schedule(process) }
        case .declined(let wake):
            process.appendToMailbox(item)
            if wake { schedule(process) }
        }
    }

    /// Delivers a completion to a process of this worker, from any thread.
    public func complete(_ process: ProcessCell, token: UInt64, _ completion: Completion) {
        post(.complete(process, token: token, completion))
    }

    /// Notes that a process of this worker now awaits a completion from `source` (see ``nearbyCompletions``
    /// and ``serverCompletions``). Every call must be matched by one ``completionArrived(from:)``, whatever
    /// the outcome (value, error, the waiter gone), or the worker would keep polling when idle (bounded, but
    /// for nothing).
    public func expectCompletion(from source: CompletionSource) {
        switch source {
        case .elsewhere: break
        case .nearby: nearbyCompletions.wrappingAdd(1, ordering: .relaxed)
        case .server: serverCompletions.wrappingAdd(1, ordering: .relaxed)
        }
    }

    /// Ends one ``expectCompletion(from:)``. Called after the completion was posted: a polling worker then
    /// sees the post before it sees the count drop (the decrement releases the post).
    public func completionArrived(from source: CompletionSource) {
        switch source {
        case .elsewhere: break
        case .nearby: nearbyCompletions.wrappingSubtract(1, ordering: .releasing)
        case .server: serverCompletions.wrappingSubtract(1, ordering: .releasing)
        }
    }

    /// Nearby completions awaited here now (statistics and tests).
    public var awaitedNearbyCompletions: Int { nearbyCompletions.load(ordering: .acquiring) }

    /// Server completions awaited here now (statistics and tests).
    public var awaitedServerCompletions: Int { serverCompletions.load(ordering: .acquiring) }

    /// Runs `work` on this worker's thread.
    public func perform(_ work: @escaping @Sendable (Worker) -> Void) {
        post(.perform(work))
    }
}

private let currentWorkerKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

extension Worker {
    static func setCurrent(_ worker: Worker?) {
        pthread_setspecific(currentWorkerKey, worker.map { Unmanaged.passUnretained($0).toOpaque() })
    }
}
