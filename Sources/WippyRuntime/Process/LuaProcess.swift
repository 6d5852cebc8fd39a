import DequeModule
public import WippyCore
public import WippyLua

/// A Lua process (or function call): a set of tasks, coroutines in the worker's Lua state, scheduled
/// cooperatively on the process's worker, plus the process's channels and mailbox subscriptions.
///
/// Memory: an idle process is one coroutine, one environment table and this object.
public final class LuaProcess: ProcessBehavior {
    public enum Mode: Sendable { case process, function }

    // unowned(unsafe): the cell owns this behaviour; the worker state outlives every process of its worker.
    public unowned(unsafe) let cell: ProcessCell
    public unowned(unsafe) let workerState: LuaWorkerState
    public let program: LuaProgram
    public let mode: Mode
    /// Process-wide context values (inherited by spawns and calls).
    public let context: ExecutionContext

    /// Tasks besides `main` (`coroutine.spawn`).
    var tasks: [LuaTask] = []
    var readyQueue = TaskQueue()
    var main: LuaTask!
    public internal(set) var nextToken: UInt64 = 0
    /// Serial used to check that a channel belongs to this process.
    let serial: UInt64

    // Start-up.
    var arguments: [Payload]
    var environment = LuaRef.none
    /// False when `environment` belongs to a shared function instance.
    var ownsEnvironment = true
    var plan: [LuaProgram] = []
    var libraryInstances: [EntryID: LuaRef] = [:]

    // Mailbox subscriptions.
    var inbox: (channel: LuaChannel, ref: LuaRef)?
    var events: (channel: LuaChannel, ref: LuaRef)?
    var topics: [String: (channel: LuaChannel, ref: LuaRef)] = [:]
    public var trapLinks = false

    /// This process's PID as a Lua string, once made.
    var pidString = LuaRef.none

    /// Set when the process must end before running again (a LINK_DOWN without trap_links); boxed because it
    /// is rare and the error is large.
    var pendingFailureBox: FailureBox?
    var pendingFailure: WippyError? {
        get { pendingFailureBox?.error }
        set { pendingFailureBox = newValue.map(FailureBox.init) }
    }
    /// Timers and completions this process waits for.
    var pending: [UInt64: (Completion?) -> Void] = [:]

    public var pid: PID { cell.pid }
    public var node: Node { cell.worker.host.node }
    public var lua: Lua { workerState.lua }

    init(cell: ProcessCell, state: LuaWorkerState, program: LuaProgram, mode: Mode, arguments: [Payload], context: ExecutionContext) {
        self.cell = cell
        self.workerState = state
        self.program = program
        self.mode = mode
        self.arguments = arguments
        self.context = context
        state.processSerial &+= 1
        self.serial = state.processSerial
    }

    /// The process of the calling Lua thread.
    @inline(__always)
    public static func current(_ lua: Lua) -> LuaProcess? { LuaTask.current(lua)?.process }

    // MARK: - ProcessBehavior

    public func run(_ process: ProcessCell) -> ProcessRunOutcome {
        if let failure = pendingFailure { return .finished(.failure(failure)) }
        LuaState.setPreemptionBudget(LuaWorkerState.ticksPerSlice)
        var resumes = 0
        while let task = readyQueue.popFirst() {
            guard task.state == .ready else { continue }
            task.state = .running
            let arguments = task.resumeArguments
            task.resumeArguments = 0
            let (status, results) = task.thread.resume(from: nil, arguments: arguments)
            switch status {
            case .yield:
                if task.thread.isSystemYield(results: results) {
                    task.thread.pop(1)
                    if task.state == .running {
                        task.state = .ready
                        readyQueue.append(task)
                    }
                } else {
                    task.thread.pop(results)
                    task.state = .ready
                    readyQueue.append(task)
                    if LuaState.takePreempted() { return .runnable }
                }
            case .ok:
                if let outcome = taskReturned(task, results: results) { return outcome }
            default:
                let error = errorValue(on: task.thread, at: -1)
                task.thread.pop(1)
                return .finished(.failure(error))
            }
            if let failure = pendingFailure { return .finished(.failure(failure)) }
            resumes += 1
            if resumes >= 256 && !readyQueue.isEmpty { return .runnable }
        }
        return .blocked
    }

    public func offer(_ item: MailboxItem, to process: ProcessCell) -> OfferOutcome {
        offerItem(item)
    }

    /// Items queued before start: `start()` already looked for LINK_DOWNs; subscriptions do not exist yet.
    public func mailboxReceived(_ process: ProcessCell) -> Bool { false }

    public func timerFired(_ process: ProcessCell, token: UInt64) -> Bool {
        if !wakeSleeper(token: token) {
            guard let action = pending.removeValue(forKey: token) else { return false }
            action(nil)
        }
        return !readyQueue.isEmpty || pendingFailure != nil
    }

    public func completed(_ process: ProcessCell, token: UInt64, _ completion: Completion) -> Bool {
        guard let action = pending.removeValue(forKey: token) else { return false }
        action(completion)
        return !readyQueue.isEmpty || pendingFailure != nil
    }

    public func discard(_ process: ProcessCell) {
        if let main { tasks.append(main) }
        for task in tasks {
            task.state = .dead
            workerState.recycle(task.thread, anchor: task.anchor)
        }
        tasks.removeAll()
        readyQueue.removeAll()
        pending.removeAll()
        if ownsEnvironment { lua.unref(environment) }
        lua.unref(pidString)
        for ref in [inbox?.ref ?? .none, events?.ref ?? .none] { lua.unref(ref) }
        for (_, subscription) in topics { lua.unref(subscription.ref) }
        for (_, ref) in libraryInstances { lua.unref(ref) }
        topics.removeAll()
        libraryInstances.removeAll()
        inbox = nil
        events = nil
        environment = .none
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
        pending[token] = nil
    }

    /// Registers a completion handler; deliver with `cell.worker.complete(cell, token:_:)` from any thread.
    public func expectCompletion(_ action: @escaping (Completion?) -> Void) -> UInt64 {
        nextToken &+= 1
        pending[nextToken] = action
        return nextToken
    }

    /// True while a pending timer or completion exists.
    public var hasPendingRequests: Bool { !pending.isEmpty }
}

/// A heap box for a rarely present error.
final class FailureBox {
    let error: WippyError
    init(_ error: WippyError) { self.error = error }
}

extension LuaProcess {
    /// For measurements and tests.
    public var mainTask: LuaTask? { main }
    public var inboxChannel: LuaChannel? { inbox?.channel }
}
