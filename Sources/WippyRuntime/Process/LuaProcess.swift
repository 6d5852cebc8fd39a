import DequeModule
public import WippyCore
public import WippyLua

/// A Lua process (or function call): a set of tasks, coroutines in the worker's Lua state, scheduled
/// cooperatively on the process's worker, plus the process's channels and mailbox subscriptions.
///
/// Memory: an idle process is one coroutine, one environment table and this object.
public final class LuaProcess: ProcessBehavior {
    public enum Mode: Sendable { case process, function }

    // Stored properties are ordered to pack the object tightly (there is one per process): references
    // first, then 4-byte refs, then flags. What most processes never use lives in `extras`, made on demand.

    // unowned(unsafe): the cell owns this behaviour; the worker state outlives every process of its worker.
    public unowned(unsafe) let cell: ProcessCell
    public unowned(unsafe) let workerState: LuaWorkerState
    public let program: LuaProgram
    /// Process-wide context values (inherited by spawns and calls).
    public let context: ExecutionContext
    var readyQueue = TaskQueue()
    var main: LuaTask!
    public internal(set) var nextToken: UInt64 = 0
    /// Serial used to check that a channel belongs to this process.
    let serial: UInt64
    /// Start arguments, until pushed.
    var arguments: [Payload]
    var inboxSubscription: LuaChannel?
    private var extras: Extras?
    /// Its record in the worker's C mailbox table, once it receives or converses (see `LuaProcess+HandOff`).
    var record: LuaMailboxes.Record?
    var inboxRef = LuaRef.none
    /// This process's PID as a Lua string, once made.
    var pidString = LuaRef.none
    /// The memory account its Lua objects and mailbox are charged to (see ``LuaMemory``).
    public internal(set) var account = LuaAccount.worker
    public let mode: Mode
    public var trapLinks = false

    /// The less common parts of a process.
    private final class Extras {
        var tasks: [LuaTask] = []
        var plan: [LuaProgram] = []
        var libraryInstances: [EntryID: LuaRef] = [:]
        var eventsSubscription: LuaChannel?
        var eventsRef = LuaRef.none
        var topics: [String: (channel: LuaChannel, ref: LuaRef)] = [:]
        var pendingFailure: WippyError? { didSet { mustStop = pendingFailure != nil || upgrade != nil } }
        var pending = TokenMap<(Completion?) -> Void>()
        var upgrade: (any ProcessStarter)? { didSet { mustStop = pendingFailure != nil || upgrade != nil } }
        /// A pending failure or upgrade is set: a plain flag, because testing those optionals for nil copies
        /// them, which the switch (LuaProcess+HandOff) would pay on every hop.
        var mustStop = false
        var upgradable = false
        var eventSubscriptions: [UInt64: ProcessEventSubscription] = [:]
        var subscribedToEvents = false
        /// Set only for a workflow run: one reference, so other processes pay one nil check (and 8 bytes
        /// of their extras) for workflows.
        var workflow: WorkflowParts?
        /// What runs when the process ends (``addCleanup(_:)``): resource leases, open transactions.
        var cleanups: [UInt64: () -> Void] = [:]
        var nextCleanup: UInt64 = 0
        /// How a run that another process's resume switched to ended, when the worker must act on it (see
        /// ``LuaProcess/settleSwitched(_:status:results:)``): returned by the next `run`.
        var switchedOutcome: ProcessRunOutcome?
    }

    /// What only a workflow run's process has.
    final class WorkflowParts {
        var session: WorkflowSession?
        var pendingExit: ProcessResult?
        var isRunning = false
        var determinism: WorkflowDeterminism?
    }

    private var workflowParts: WorkflowParts? { extras?.workflow }

    private var ensuredWorkflowParts: WorkflowParts {
        let extras = ensuredExtras
        if let parts = extras.workflow { return parts }
        let made = WorkflowParts()
        extras.workflow = made
        return made
    }

    /// True while a workflow's process runs (its session then leaves delivery to the block point).
    var isRunning: Bool {
        get { workflowParts?.isRunning ?? false }
        set { ensuredWorkflowParts.isRunning = newValue }
    }

    /// The workflow run this process carries, if it is a workflow's.
    public internal(set) var workflow: WorkflowSession? {
        get { workflowParts?.session }
        set {
            if newValue == nil && workflowParts == nil { return }
            ensuredWorkflowParts.session = newValue
        }
    }

    /// A workflow's result, once its end is durable: the process ends with it.
    var pendingExit: ProcessResult? {
        get { workflowParts?.pendingExit }
        set {
            if newValue == nil && workflowParts == nil { return }
            ensuredWorkflowParts.pendingExit = newValue
        }
    }

    /// Set for a workflow run (by ``LuaProcessStarter``, before the process starts): the run's seed, clock
    /// and object ids, which make its `pairs`, `tostring`, `math.random`, `os.time`, `time.now` and `uuid`
    /// deterministic. Nil for every other process.
    public internal(set) var determinism: WorkflowDeterminism? {
        get { workflowParts?.determinism }
        set {
            if newValue == nil && workflowParts == nil { return }
            ensuredWorkflowParts.determinism = newValue
        }
    }

    /// Set by `process.upgrade`: the run loop hands this starter to the worker, which replaces the process
    /// (a workflow's successor run, once its continue is durable).
    var pendingUpgrade: (any ProcessStarter)? {
        get { extras?.upgrade }
        set {
            if newValue == nil && extras == nil { return }
            ensuredExtras.upgrade = newValue
            // the switch may no longer run its parked task behind the run loop's back (a ghost)
            if newValue != nil { record?.solo = false }
        }
    }

    /// Opted in (`set_options{upgradable = true}`) to `pid.outdated` events instead of being restarted
    /// when its code changes.
    public var upgradable: Bool {
        get { extras?.upgradable ?? false }
        set {
            guard newValue != upgradable else { return }
            ensuredExtras.upgradable = newValue
            if newValue {
                workerState.runtime.registerUpgradable(cell.pid, entry: program.entryID)
            } else {
                workerState.runtime.unregisterUpgradable(cell.pid)
            }
        }
    }

    private var ensuredExtras: Extras {
        if let extras { return extras }
        let made = Extras()
        extras = made
        return made
    }

    // MARK: - Cleanups

    /// Registers `action` to run on this worker when the process (or function call) ends, however it ends:
    /// how a resource handle (`sql.get`, `store.get`) is released and an open transaction rolled back at the
    /// end of the invocation. Returns a key for ``cancelCleanup(_:)`` (an explicit `release()`).
    /// `action` must not wait: hand slow work (a rollback round trip) to another thread.
    public func addCleanup(_ action: @escaping () -> Void) -> UInt64 {
        let extras = ensuredExtras
        extras.nextCleanup += 1
        extras.cleanups[extras.nextCleanup] = action
        return extras.nextCleanup
    }

    /// Forgets the cleanup registered under `key` without running it.
    public func cancelCleanup(_ key: UInt64) {
        extras?.cleanups[key] = nil
    }

    private func runCleanups(_ extras: Extras) {
        // Latest first, as handles are usually taken in order (a transaction after its database).
        while let key = extras.cleanups.keys.max(), let action = extras.cleanups.removeValue(forKey: key) {
            action()
        }
    }

    /// Tasks besides `main` (`coroutine.spawn`).
    var tasks: [LuaTask] {
        get { extras?.tasks ?? [] }
        _modify { yield &ensuredExtras.tasks }
    }

    /// Libraries to run before the entry chunk, and their instances (start-up).
    var plan: [LuaProgram] {
        get { extras?.plan ?? [] }
        _modify { yield &ensuredExtras.plan }
    }

    var libraryInstances: [EntryID: LuaRef] {
        get { extras?.libraryInstances ?? [:] }
        _modify { yield &ensuredExtras.libraryInstances }
    }

    /// `process.listen` subscriptions by topic.
    var topics: [String: (channel: LuaChannel, ref: LuaRef)] {
        get { extras?.topics ?? [:] }
        _modify { yield &ensuredExtras.topics }
    }

    /// `events.subscribe` subscriptions by ID.
    var eventSubscriptions: [UInt64: ProcessEventSubscription] {
        get { extras?.eventSubscriptions ?? [:] }
        _modify { yield &ensuredExtras.eventSubscriptions }
    }

    var hasEventSubscriptions: Bool { !(extras?.eventSubscriptions.isEmpty ?? true) }

    /// Set for good by the first `events.subscribe`: only then can the mailbox hold bus events (they may
    /// still arrive after the subscription ended), so only then do messages need checking for them.
    var mayReceiveBusEvents: Bool {
        get { extras?.subscribedToEvents ?? false }
        set {
            ensuredExtras.subscribedToEvents = newValue
            // Messages must now be checked for bus events: no more C hand-offs to a receive in progress, and
            // what C queued goes back to the mailbox.
            record?.waiting = nil
            spillQueuedMessages()
        }
    }

    /// True when some topic has a `process.listen` subscription.
    var hasTopics: Bool { !(extras?.topics.isEmpty ?? true) }

    /// A pending failure or upgrade awaits the run loop (see ``pendingFailure`` and ``pendingUpgrade``).
    @inline(__always)
    var mustStop: Bool { extras?.mustStop ?? false }

    /// Set when the process must end before running again (a LINK_DOWN without trap_links).
    var pendingFailure: WippyError? {
        get { extras?.pendingFailure }
        set {
            if newValue == nil && extras == nil { return }
            ensuredExtras.pendingFailure = newValue
            // the switch may no longer run its parked task behind the run loop's back (a ghost)
            if newValue != nil { record?.solo = false }
        }
    }

    /// Timers and completions this process waits for.
    var pending: TokenMap<(Completion?) -> Void> {
        get { extras?.pending ?? TokenMap() }
        _modify { yield &ensuredExtras.pending }
    }

    var inbox: (channel: LuaChannel, ref: LuaRef)? {
        get { inboxSubscription.map { ($0, inboxRef) } }
        set {
            inboxSubscription = newValue?.channel
            inboxRef = newValue?.ref ?? .none
        }
    }

    var events: (channel: LuaChannel, ref: LuaRef)? {
        get { extras?.eventsSubscription.map { ($0, extras!.eventsRef) } }
        set {
            if newValue == nil && extras == nil { return }
            ensuredExtras.eventsSubscription = newValue?.channel
            ensuredExtras.eventsRef = newValue?.ref ?? .none
        }
    }

    public var pid: PID { cell.pid }
    public var node: Node { cell.worker.host.node }
    public var lua: Lua { workerState.lua }

    /// `memoryLimit`: bytes the process may hold (0: none; nil: its host's limit).
    init(
        cell: ProcessCell, state: LuaWorkerState, program: LuaProgram, mode: Mode, arguments: [Payload],
        context: ExecutionContext, memoryLimit: Int? = nil
    ) {
        self.cell = cell
        self.workerState = state
        self.program = program
        self.mode = mode
        self.arguments = arguments
        self.context = context
        state.processSerial &+= 1
        self.serial = state.processSerial
        account = state.openAccount(for: self, limit: memoryLimit)
    }

    // The ready queue holds its tasks by hand (``TaskQueue``): a process dropped with tasks still queued gives
    // them back here.
    deinit { readyQueue.removeAll() }

    /// The process of the calling Lua thread.
    @inline(__always)
    public static func current(_ lua: Lua) -> LuaProcess? { LuaTask.current(lua)?.process }

    // MARK: - ProcessBehavior

    public func run(_ process: ProcessCell) -> ProcessRunOutcome {
        guard let parts = extras?.workflow else {
            if let outcome = extras?.switchedOutcome {
                extras?.switchedOutcome = nil
                return outcome
            }
            // Its sends may take the C hand-off (a workflow's never do: they are journaled).
            let mailboxes = workerState.mailboxes
            mailboxes.setRunning(record, owner: Unmanaged.passUnretained(self).toOpaque())
            defer { mailboxes.setRunning(nil, owner: nil) }
            let outcome = runTasks(nil)
            // Stopped: C may queue what its processes send to this one (when nothing could miss it).
            openQueueIfClear()
            return outcome
        }
        // Deterministic without a session: a workflow VM run directly (tests of the determinism).
        guard let session = parts.session else { return runTasks(parts.determinism) }
        if let exit = parts.pendingExit { return .finished(exit) }
        if let successor = pendingUpgrade { return .replace(successor) }
        // Continued as new: nothing runs until the successor replaces the process.
        if session.isContinuing { return .blocked }
        parts.isRunning = true
        defer {
            parts.isRunning = false
            // What this activation journaled goes to the store as one write.
            session.flush()
        }
        while true {
            let outcome = runTasks(parts.determinism)
            switch outcome {
            case .finished(let result): return session.isEnding ? .blocked : session.finish(result)
            case .blocked:
                // A block point: the run's next events may wake a task.
                if session.deliverAvailable() { continue }
                return parts.pendingExit.map { .finished($0) } ?? .blocked
            default: return outcome
            }
        }
    }

    /// Runs ready tasks; `run` is a workflow's determinism (nil for every other process). Inlined: the run
    /// loop of every process.
    @inline(__always)
    private func runTasks(_ run: WorkflowDeterminism?) -> ProcessRunOutcome {
        let memory = workerState.memory
        memory.run(account)
        if let run { memory.enterRun(run.record) }
        defer {
            memory.run(.worker)
            if run != nil { memory.enterRun(nil) }
        }
        if memory.needsAttention, let outcome = attendToMemory() { return outcome }
        if let failure = pendingFailure { return .finished(.failure(failure)) }
        LuaState.setPreemptionBudget(LuaWorkerState.ticksPerSlice)
        var resumes = 0
        while let task = readyQueue.popFirst() {
            guard task.state == .ready else { continue }
            task.state = .running
            let arguments = task.resumeArguments
            task.resumeArguments = 0
            let status: Int32, results: Int32
            var current = task
            if run == nil {
                // May switch on to other processes of the worker (request/reply, rings: see LuaProcess+HandOff).
                let resumed = workerState.mailboxes.resume(
                    task.thread, arguments: arguments, ticks: LuaWorkerState.ticksPerSlice, hops: LuaProcess.switchHops)
                (status, results) = (resumed.status, resumed.results)
                if resumed.ran != task.thread.pointer {
                    let other = LuaTask.current(Lua(resumed.ran)).unsafelyUnwrapped
                    if other.process !== self {
                        // This process's task blocked in C (nothing else to run); the status is the last
                        // switched-to process's, which settles it; then this process is the running one again.
                        Unmanaged.passUnretained(other.process)._withUnsafeGuaranteedRef {
                            $0.settleSwitched(other, status: status, results: results)
                        }
                        workerState.mailboxes.setRunning(record, owner: Unmanaged.passUnretained(self).toOpaque())
                        memory.run(account)
                        LuaState.setPreemptionBudget(LuaWorkerState.ticksPerSlice)
                        if let failure = pendingFailure { return .finished(.failure(failure)) }
                        resumes += 1
                        if resumes >= 256 && !readyQueue.isEmpty { return .runnable }
                        continue
                    }
                    current = other
                }
            } else {
                (status, results) = task.thread.resumeTask(arguments: arguments)
            }
            if memory.needsAttention, let outcome = attendToMemory() { return outcome }
            if let outcome = settle(current, status: status, results: results) { return outcome }
            if let failure = pendingFailure { return .finished(.failure(failure)) }
            resumes += 1
            if resumes >= 256 && !readyQueue.isEmpty { return .runnable }
        }
        return .blocked
    }

    /// What the run loop does with a task's resume that ended with `status` (``Lua/resumeTask(arguments:)``'s)
    /// and `results`: nil to go on with the process's ready tasks, or the process's outcome.
    @inline(__always)
    private func settle(_ task: LuaTask, status: Int32, results: Int32) -> ProcessRunOutcome? {
        if status == Lua.systemYieldStatus {
            // A native's yield (its marker is popped): the task blocked, or asked to go on later.
            task.preemptionsInARow = 0
            if let upgrade = pendingUpgrade { return .replace(upgrade) }
            if task.state == .running {
                task.state = .ready
                readyQueue.append(task)
            }
        } else if status == LuaStatus.yield.rawValue {
            task.thread.pop(results)
            task.state = .ready
            if LuaState.takePreempted() {
                // A preemption is invisible to the process's other tasks: the preempted one goes on first
                // when the process runs again (other tasks do not see it stopped halfway through a
                // read-modify-write of shared state), unless it has used that many slices in a row
                // without blocking: then the others get their turn (a task that never blocks must not
                // starve them).
                if task.preemptionsInARow < LuaTask.preemptionsBeforeOthersRun {
                    task.preemptionsInARow += 1
                    readyQueue.prepend(task)
                } else {
                    task.preemptionsInARow = 0
                    readyQueue.append(task)
                }
                return .runnable
            }
            task.preemptionsInARow = 0
            readyQueue.append(task)
        } else if status == LuaStatus.ok.rawValue {
            task.preemptionsInARow = 0
            if let outcome = taskReturned(task, results: results) { return outcome }
        } else {
            let error = errorValue(on: task.thread, at: -1)
            task.thread.pop(1)
            return .finished(.failure(error))
        }
        return nil
    }

    /// Settles the resume of `task` that the switch of another process's resume ran last (this process is
    /// the running one in C: its record and memory account): as the run loop would, then the worker gets
    /// the process back when it has more to do (scheduled; an outcome to act on is kept for its next run).
    func settleSwitched(_ task: LuaTask, status: Int32, results: Int32) {
        var outcome: ProcessRunOutcome?
        if workerState.memory.needsAttention { outcome = attendToMemory() }
        if outcome == nil { outcome = settle(task, status: status, results: results) }
        if outcome == nil, let failure = pendingFailure { outcome = .finished(.failure(failure)) }
        switch outcome {
        case nil, .blocked?:
            openQueueIfClear()
            if readyQueue.isEmpty { return }
        case .runnable?:
            break
        case let kept?:
            ensuredExtras.switchedOutcome = kept
        }
        cell.worker.schedule(cell)
    }

    public func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome {
        let memory = workerState.memory
        // A process being ended for its memory takes nothing more; what it holds is freed when it ends.
        if memory.isDoomed(account) { return .taken(schedule: false) }
        if let session = extras?.workflow?.session, !session.isDelivering {
            // A workflow's messages and events are journaled first and handed over at a block point.
            session.arrived(item)
            // Delivered at once when the code was blocked: it may now run.
            return .taken(schedule: !readyQueue.isEmpty || pendingFailure != nil)
        }
        let previous = memory.charge(account)
        defer { memory.charge(previous) }
        let outcome = offerItem(item)
        if case .declined = outcome {
            // A plain message joins the C queue instead while that is open: it stays open, so the next
            // receives and this worker's later sends to the process stay in C.
            if case .message(let message) = item, queueInC(message) { return afterQueuedInC() }
            // In the mailbox now: C must not queue a later message ahead of it.
            closeQueue()
            return queue(item, outcome: outcome)
        }
        return outcome
    }

    /// Items queued before start: `start()` already looked for LINK_DOWNs; subscriptions do not exist yet.
    /// (A workflow's process, when its host stops, ends at once: its run stays in flight.)
    public func mailboxReceived(_ process: ProcessCell) -> Bool {
        guard let session = extras?.workflow?.session, session.observer.isStopping else { return false }
        pendingFailure = WippyError.canceled("workflow host stopping")
        return true
    }

    public func timerFired(_ process: ProcessCell, token: UInt64) -> Bool {
        if !wakeSleeper(token: token) {
            guard extras != nil, let action = pending.removeValue(forKey: token) else { return false }
            let previous = workerState.memory.charge(account)
            action(nil)
            workerState.memory.charge(previous)
        }
        return !readyQueue.isEmpty || pendingFailure != nil || extras?.workflow?.pendingExit != nil || extras?.upgrade != nil
    }

    public func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool {
        guard extras != nil, let action = pending.removeValue(forKey: token) else { return false }
        let previous = workerState.memory.charge(account)
        defer { workerState.memory.charge(previous) }
        action(completion)
        return !readyQueue.isEmpty || pendingFailure != nil || extras?.workflow?.pendingExit != nil || extras?.upgrade != nil
    }

    public func discard(_ process: ProcessCell) {
        if let main {
            main.state = .dead
            workerState.recycle(main)
        }
        readyQueue.removeAll()
        if let record {
            // Replaced by an upgrade (the cell lives on): what C queued is the successor's, in the mailbox,
            // ahead of what came later.
            if !cell.isFinished { spillQueuedMessages() }
            workerState.mailboxes.remove(record, on: lua)
            self.record = nil
        }
        if upgradable { workerState.runtime.unregisterUpgradable(cell.pid) }
        lua.unref(pidString)
        lua.unref(inboxRef)
        // its tasks go back to the pool: the channel (garbage now) must not keep an unretained one
        inbox?.channel.receivers.forgetParked()
        inbox = nil
        if let extras {
            runCleanups(extras)
            extras.workflow?.session?.discarded()
            endEventSubscriptions()
            for task in extras.tasks {
                task.state = .dead
                workerState.recycle(task)
            }
            lua.unref(extras.eventsRef)
            for (_, subscription) in extras.topics { lua.unref(subscription.ref) }
            for (_, ref) in extras.libraryInstances { lua.unref(ref) }
            extras.workflow?.determinism?.record.release(on: lua)
            self.extras = nil
        }
        // Its objects become garbage; their frees, whenever the collector gets to them, are ignored. A process
        // ended for its memory leaves up to 1.5 times its limit of garbage, most of it old, which the collector
        // would only free at its next major collection: free it now (this is rare), and after the system
        // refused memory take back the emergency reserve too.
        let memory = workerState.memory
        let usage = memory.usage(of: account)
        let collect = usage?.isDoomed == true || usage?.starved == true || memory.isStarved
        memory.close(account)
        account = .worker
        if collect { memory.recover(on: lua, force: true) }
    }

    // MARK: - Requests for modules

    /// Registers a wake-up: `action` runs on this worker when the timer fires.
    public func armTimer(after nanoseconds: UInt64, _ action: @escaping (Completion?) -> Void) -> UInt64 {
        nextToken &+= 1
        pending[nextToken] = action
        cell.worker.arm(cell, after: nanoseconds, token: nextToken)
        return nextToken
    }

    /// Drops a pending timer or completion.
    public func cancelPending(_ token: UInt64) {
        if extras != nil { pending[token] = nil }
    }

    /// Registers a completion handler; deliver with `cell.worker.complete(cell, token:_:)` from any thread.
    public func expectCompletion(_ action: @escaping (Completion?) -> Void) -> UInt64 {
        nextToken &+= 1
        pending[nextToken] = action
        return nextToken
    }

    /// True while a pending timer or completion exists.
    public var hasPendingRequests: Bool { !(extras?.pending.isEmpty ?? true) }
}

extension LuaProcess {
    /// For measurements and tests.
    public var mainTask: LuaTask? { main }
    public var inboxChannel: LuaChannel? { inbox?.channel }
}
