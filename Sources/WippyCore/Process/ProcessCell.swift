public import DequeModule
public import Synchronization

/// The scheduler's record of one live process: identity, owning worker, mailbox and behaviour.
///
/// `@unchecked Sendable`: a cell is referenced from any thread (the node's process table, topology), but its
/// mutable scheduling state (`mailbox`, `behavior`, `isQueued`, `isFinished`) is touched only on its worker
/// thread; other threads reach the process by posting events to that worker. The only fields read across
/// threads are immutable (`pid`, `onExit`) or atomic (`worker`, `topologyFlags`).
public final class ProcessCell: @unchecked Sendable {
    public let pid: PID
    /// The worker that runs the process. It changes at most once, before the process first runs, when an idle
    /// worker takes it over (``Worker/giveAway(to:)``); from its first run on it is fixed. Unmanaged (no
    /// reference count): a worker outlives every process placed on it (hosts are never freed while the node
    /// runs).
    @usableFromInline let runner: Atomic<Unmanaged<Worker>>
    /// The worker that runs the process (read once per use: another thread may move a process that has not
    /// started yet).
    @inlinable public var worker: Worker { runner.load(ordering: .acquiring).takeUnretainedValue() }
    /// Called on the worker thread when the process ends; boxed (one pointer) because most processes have none.
    private let exitHandler: ExitHandler?
    var onExit: (@Sendable (PID, ProcessResult) -> Void)? { exitHandler?.call }

    // Worker-confined state.
    /// Items waiting to be received. Changed only through the methods below, which keep ``mailboxBytes``.
    public private(set) var mailbox: Deque<MailboxItem> = []
    public internal(set) var behavior: (any ProcessBehavior)?
    var starter: (any ProcessStarter)?
    // Usable from inlinable code: read by ``Worker/mayRunNext(_:)`` and ``Worker/mayRunNow(_:)``.
    @usableFromInline var isQueued = false
    public internal(set) var isFinished = false
    /// Set while the behaviour is inside `run`.
    var isRunning = false

    /// Bits set once the process has names, monitors or links, so exits without any skip the topology lock.
    let topologyFlags = Atomic<UInt8>(0)
    /// ``mailboxBytes`` in 8-byte units (each item's estimate rounded up), with wrapping arithmetic: exact up
    /// to 32 GiB, never a trap. 32 bits, in the padding after the flags, because the cell's size matters: it
    /// is allocated by the spawning thread and usually freed by its worker's, and glibc hands a block freed
    /// on another thread back to its own arena, under that arena's lock, whenever the freeing thread's cache
    /// for the size is full. A 64-bit field here moved the cell to the next size class and cost the spawn
    /// benchmark 15 % in lock waits (6 000 context switches per run instead of 150).
    private var mailboxUnits: UInt32 = 0

    /// The estimated bytes of the items in ``mailbox`` (``MailboxItem/estimatedBytes``, rounded up to 8 each).
    public var mailboxBytes: Int { Int(mailboxUnits) << 3 }

    @inline(__always)
    private static func units(_ item: MailboxItem) -> UInt32 { UInt32(truncatingIfNeeded: (item.estimatedBytes + 7) >> 3) }

    convenience init(pid: PID, worker: Worker, options: SpawnOptions, starter: any ProcessStarter) {
        self.init(pid: pid, worker: worker, onExit: options.onExit, starter: starter)
    }

    /// Takes only the exit callback of the spawn options (no copy of the rest).
    init(pid: PID, worker: Worker, onExit: (@Sendable (PID, ProcessResult) -> Void)?, starter: any ProcessStarter) {
        self.pid = pid
        self.runner = Atomic(Unmanaged.passUnretained(worker))
        self.exitHandler = onExit.map(ExitHandler.init)
        self.starter = starter
    }

    /// The worker a thread other than the runner's posts this process's events to, given `current`, the runner
    /// it read just before (see ``Worker/deliver(_:to:)``).
    ///
    /// A moved process keeps getting them through the worker it was spawned on, which forwards them in the
    /// order they came: a sender that posted to the old worker before the move and to the new one after could
    /// otherwise see its later message overtake its earlier one. The home bits are set before the runner
    /// changes, so a sender that read the new runner also sees them.
    func postTarget(_ current: Worker) -> Worker {
        let home = topologyFlags.load(ordering: .acquiring) >> Node.homeShift
        return home == 0 ? current : current.host.workers[Int(home) - 1]
    }

    /// True once the process was moved to another worker before it started (it never moves twice).
    var hasMoved: Bool { topologyFlags.load(ordering: .relaxed) >> Node.homeShift != 0 }

    /// Hands the not-yet-started process to `target` (its current runner's thread only).
    func move(to target: Worker) {
        let home = worker
        // Before the runner changes: whoever reads the new runner must also see where to post (postTarget).
        topologyFlags.bitwiseOr(UInt8(home.index + 1) << Node.homeShift, ordering: .releasing)
        runner.store(Unmanaged.passUnretained(target), ordering: .releasing)
    }

    /// Runs `body` with the process's current worker through a guaranteed reference (no reference counting
    /// of the worker, which outlives its processes); for hot paths on the worker's own thread.
    @inlinable
    public func withWorker<R>(_ body: (Worker) -> R) -> R {
        runner.load(ordering: .acquiring)._withUnsafeGuaranteedRef(body)
    }

    /// Arms a one-shot timer on the process's worker (its worker thread only): ``Worker/arm(_:after:token:)``
    /// through a guaranteed reference to the worker, so a sleep costs no reference counting of the worker.
    @inlinable
    public func armTimer(after nanoseconds: UInt64, token: UInt64) {
        runner.load(ordering: .acquiring)._withUnsafeGuaranteedRef { $0.arm(self, after: nanoseconds, token: token) }
    }

    /// True once the process has ended; readable from any thread (caches holding cells check it).
    public var hasExited: Bool { topologyFlags.load(ordering: .acquiring) & Node.exited != 0 }

    /// Schedules the process on its worker (worker thread only).
    public func wake() {
        worker.schedule(self)
    }

    /// Removes and returns the first mailbox item matching `predicate` (worker thread only).
    public func takeFromMailbox(where predicate: (MailboxItem) -> Bool) -> MailboxItem? {
        guard let index = mailbox.firstIndex(where: predicate) else { return nil }
        let item = mailbox.remove(at: index)
        mailboxUnits &-= Self.units(item)
        return item
    }

    /// Appends an item to the mailbox (worker thread only).
    public func appendToMailbox(_ item: consuming MailboxItem) {
        // Counted first, so the item moves into the mailbox (no copy).
        mailboxUnits &+= Self.units(item)
        mailbox.append(item)
    }

    /// Puts items in front of the mailbox, in their order (worker thread only): messages a runtime kept
    /// elsewhere that are older than anything in the mailbox.
    public func prependToMailbox(contentsOf items: [MailboxItem]) {
        mailbox.insert(contentsOf: items, at: 0)
        for item in items { mailboxUnits &+= Self.units(item) }
    }

    /// Removes every mailbox item matching `predicate` (worker thread only).
    public func removeFromMailbox(where predicate: (MailboxItem) -> Bool) {
        mailbox.removeAll { item in
            guard predicate(item) else { return false }
            mailboxUnits &-= Self.units(item)
            return true
        }
    }

    /// Empties the mailbox (worker thread only).
    func clearMailbox() {
        mailbox.removeAll()
        mailboxUnits = 0
    }
}

/// A process's exit callback, kept out of line.
private final class ExitHandler: Sendable {
    let call: @Sendable (PID, ProcessResult) -> Void
    init(_ call: @escaping @Sendable (PID, ProcessResult) -> Void) { self.call = call }
}

/// How a process is spawned: its parent and what the parent asked for.
public struct SpawnOptions: Sendable {
    public var parent: PID?
    /// The parent monitors the child (EXIT on any exit).
    public var monitor: Bool
    /// Parent and child are linked (LINK_DOWN on abnormal exit).
    public var link: Bool
    /// A local name to register for the child before it runs.
    public var name: String?
    /// Called on the child's worker thread when it ends (used by function calls, `exec` and supervisors).
    public var onExit: (@Sendable (PID, ProcessResult) -> Void)?

    public init(
        parent: PID? = nil,
        monitor: Bool = false,
        link: Bool = false,
        name: String? = nil,
        onExit: (@Sendable (PID, ProcessResult) -> Void)? = nil
    ) {
        self.parent = parent
        self.monitor = monitor
        self.link = link
        self.name = name
        self.onExit = onExit
    }
}
