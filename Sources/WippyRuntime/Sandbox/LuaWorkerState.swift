#if canImport(Glibc)
import Glibc
#endif
public import WippyCore
public import WippyLua

/// Everything Lua on one worker thread: the Lua state all of the worker's processes live in, the read-only
/// sandbox they share, metatables, and caches of compiled chunks, entry scopes and module tables.
///
/// Confined to its worker thread (it is the worker's `local`); debug builds check the thread at the entry
/// points (``assertOnWorker(_:file:line:)``).
public final class LuaWorkerState {
    public let state: LuaState
    public let runtime: LuaRuntime
    /// The host's per-process memory limit.
    public let memorySettings: HostMemorySettings
    /// The allocator record of ``state``: totals and the accounts of the processes.
    public let memory: LuaMemory
    // unowned(unsafe): the worker creates this state on its thread and drops it before it ends.
    public unowned(unsafe) let worker: Worker

    /// The main thread (used for building shared tables, never for running process code).
    public var lua: Lua { state.main }

    // Shared tables, anchored in the registry.
    var baseRef = LuaRef.none
    var readOnlySetRef = LuaRef.none
    /// Read-only proxy → plain table with its fields, for chunks that bind `process` (see
    /// ``pushProcessBinding(environmentAt:on:)``); made on first use.
    var plainCopiesRef = LuaRef.none
    /// `{receive, topic, from}` as Lua functions making the method calls, for rewritten calls in workflow
    /// runs (see ``pushReceiveBinding(deterministic:on:)``); made on first use.
    var methodCallsRef = LuaRef.none
    var preludeRef = LuaRef.none
    /// The base of workflow runs (deterministic `pairs`, `tostring`, `math`, `os`), made on first use.
    var workflowBaseRef = LuaRef.none
    /// Metatables by tag slot (`tag & 0x1FF`): runtime tags use slots 1..255, module tags 256..511.
    var metatables = [LuaRef](repeating: .none, count: 512)

    // Caches keyed by program serial.
    var chunks: [UInt64: LuaRef] = [:]
    var environmentMetatables: [UInt64: LuaRef] = [:]
    /// The same for instances in workflow runs (their scope falls through to the workflow base).
    var workflowEnvironmentMetatables: [UInt64: LuaRef] = [:]
    var importPlans: [UInt64: [LuaProgram]] = [:]
    var modules: [String: LuaRef] = [:]
    /// Function entries and shareable process entries (``LuaProcess/sharesInstance``): the chunk runs once
    /// per worker and program; the method is reused by later calls and spawns.
    var functionInstances: [EntryID: FunctionInstance] = [:] {
        didSet { lastInstance = nil }
    }
    /// The instance found by the last ``instance(of:)``: spawn loops start one entry over and over, and this
    /// skips hashing its entry ID. Cleared whenever ``functionInstances`` changes.
    private var lastInstance: FunctionInstance?

    /// The method of the worker's current instance of `program`, if its chunk already ran here.
    func instance(of program: LuaProgram) -> LuaRef? {
        if let last = lastInstance, last.serial == program.serial { return last.method }
        guard let found = functionInstances[program.entryID], found.serial == program.serial else { return nil }
        lastInstance = found
        return found.method
    }

    /// PID text caches for the message path.
    var pidCache = PIDCache()
    /// Start arguments of children spawned onto this worker, until they start.
    var argumentStash = ArgumentStash()
    /// Children spawned with their arguments kept in Lua so far, and those of them not started yet (worker
    /// thread only; for tests and measurements).
    public var argumentStashCounts: (stored: Int, waiting: Int) { (argumentStash.stored, argumentStash.waiting) }
    /// Finished tasks, their threads reset, kept for reuse with their threads and registry anchors.
    var taskPool: [LuaTask] = []
    static let taskPoolLimit = 256
    /// Tasks made new, pooled task objects reused, and pooled tasks found still held elsewhere (their thread
    /// reused under a new object) so far (worker thread only; for tests and measurements).
    public private(set) var taskCounts: (made: Int, reused: Int, held: Int) = (0, 0, 0)
    /// Starters of children spawned here with stashed arguments, given back once their child started (see
    /// ``LuaProcessStarter/reused(in:program:stashed:context:)``). Worker thread only.
    var starterPool: [LuaProcessStarter] = []
    /// As many as the argument stash keeps slots for (``ArgumentStash/retainedSlots``): a spawn loop spawns
    /// hundreds of children per time slice before they start and give their starters back, and a pool of 64
    /// served only the first 64 of each slice (about 400 instructions of allocation and freeing for each
    /// other child). A full pool holds about 100 KiB.
    static let starterPoolLimit = 1024
    /// Switches to a ghost (see `wippy_mailboxes_resume`) so far (worker thread only; for tests and
    /// measurements).
    public var ghostSwitches: UInt64 { mailboxes.ghostSwitches }
    /// Pooled starters used again so far (worker thread only; for tests and measurements).
    public internal(set) var startersReused = 0
    /// Spawn targets by the id string (see `SpawnTargetCache`).
    var spawnTargets = SpawnTargetCache()
    /// The function ID `funcs.call` parsed last on this worker, with the bytes it was parsed from: a loop that
    /// calls one function many times parses its ID once (the bytes are compared, so no stale answer).
    public var lastFunctionTarget: (text: [UInt8], id: EntryID)?
    var destinations = DestinationCache()
    var topicCache = TopicCache()
    /// The C side of same-worker messaging (records of this worker's processes, keyed by PID text).
    let mailboxes: LuaMailboxes

    /// Processes created on this worker so far (for ownership checks on channels).
    var processSerial: UInt64 = 0

    /// Memory bookkeeping (LuaWorkerState+Memory.swift): collection cycles seen, the heap a cycle last left,
    /// and whether a full collection for the memory limit is already queued.
    var collectionCycles = 0
    var bytesAfterLastCycle = 0
    var limitCollectionQueued = false

    struct FunctionInstance {
        var serial: UInt64
        var method: LuaRef
    }

    /// Preemption is timed (`LuaState.installTimedPreemption`): no count hook while Lua runs, so compute runs
    /// at the interpreter's full speed; a slice lasts one to two ticker periods (`WIPPY_TICK_NANOS`). The
    /// budget below is what a slice is given in ticks; timed preemption does not use it.
    static let ticksPerSlice: Int32 = 200
    /// `WIPPY_PREEMPTION=counted` gives the workers the permanent count hook instead (a tick every
    /// `instructionsPerTick` instructions, `ticksPerSlice` ticks a slice), to compare the two in benchmarks.
    static let countedPreemption = getenv("WIPPY_PREEMPTION").map { String(cString: $0) == "counted" } ?? false
    static let instructionsPerTick: Int32 = 1000

    public init(runtime: LuaRuntime, worker: Worker, memory settings: HostMemorySettings? = nil) {
        self.runtime = runtime
        self.worker = worker
        worker.assertCurrent()
        memorySettings = settings ?? HostMemorySettings(processLimit: HostMemorySettings.defaultProcessLimit)
        state = LuaState(standardLibraries: true)
        memory = state.memory
        mailboxes = LuaMailboxes(lua: state.main, messageTag: UserdataTag.message.rawValue, wake: LuaProcess.wakeAfterHandOff, park: LuaProcess.parkInInbox,
            label: LuaProcess.labelSender)
        mailboxes.setSwitch(defer: LuaProcess.deferWake, begin: LuaProcess.beginSwitch, flush: LuaProcess.flushDeferred)
        // unretained: the worker outlives its state (see `worker`)
        mailboxes.setGhosts(
            clear: LuaProcess.workerIsClear, context: Unmanaged.passUnretained(worker).toOpaque(), adopt: LuaProcess.adoptGhost)
        state.openLibraryExtensions()
        if LuaWorkerState.countedPreemption {
            state.installPreemption(instructionsPerTick: LuaWorkerState.instructionsPerTick)
        } else {
            state.installTimedPreemption()
        }
        state.useGenerationalGC(minorMultiplier: LuaWorkerState.minorCollectionMultiplier)
        lua.extraSpace = nil
        lua.push(lightUserdata: Unmanaged.passUnretained(self).toOpaque())
        lua.rawSet(Lua.registryIndex, key: "wippy.worker")
        buildSandbox()
        registerMetatables()
        mailboxes.setMessageMetatable(metatables[LuaWorkerState.slot(.message)])
        loadPrelude()
        startCountingCollections()
        applyGCPercent(runtime.gcPercent)
    }

    deinit {
        stopCountingCollections()
        state.close()
        mailboxes.free()
    }

    /// The worker state the calling Lua thread belongs to.
    @inline(__always)
    public static func of(_ lua: Lua) -> LuaWorkerState {
        if let task = LuaTask.current(lua) { return task.process.workerState }
        lua.rawGet(Lua.registryIndex, key: "wippy.worker")
        let raw = lua.userdata(at: -1)!
        lua.pop()
        return Unmanaged<LuaWorkerState>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Stops a debug build when called off this state's worker thread; compiled out of release builds.
    @inline(__always)
    public func assertOnWorker(_ function: StaticString = #function, file: StaticString = #fileID, line: UInt = #line) {
        worker.assertCurrent(function, file: file, line: line)
    }

    // MARK: - Metatables

    @inline(__always)
    static func slot(_ tag: UserdataTag) -> Int { Int(tag.rawValue & 0x1FF) }

    /// Pushes the metatable registered for `tag`.
    public func pushMetatable(_ tag: UserdataTag) {
        pushMetatable(tag, on: lua)
    }

    /// Pushes the metatable for `tag` onto `target` (any thread of this state); nil when there is none.
    @inline(__always)
    public func pushMetatable(_ tag: UserdataTag, on target: Lua) {
        let ref = metatables[LuaWorkerState.slot(tag)]
        if ref.isValid { target.push(ref) } else { target.pushNil() }
    }

    /// Registers a metatable (the table on top of the main stack, popped) for `tag`. Modules call this from
    /// their `load` to give their userdata methods.
    public func registerMetatable(_ tag: UserdataTag, from lua: Lua) {
        assertOnWorker()
        let slot = LuaWorkerState.slot(tag)
        if metatables[slot].isValid { lua.unref(metatables[slot]) }
        metatables[slot] = lua.ref()
    }

    /// True if the worker already has a metatable for `tag`.
    public func hasMetatable(_ tag: UserdataTag) -> Bool { metatables[LuaWorkerState.slot(tag)].isValid }

    // MARK: - Modules

    /// Pushes the table (or value) of built-in module `name` on `target`, loading it on first use.
    /// Returns false (pushing nothing) for an unknown module.
    @discardableResult
    public func pushModule(_ name: String, on target: Lua) -> Bool {
        assertOnWorker()
        if let ref = modules[name] {
            target.push(ref)
            return true
        }
        guard let module = runtime.modules[name] else { return false }
        let top = lua.top
        module.load(into: lua, state: self)
        guard lua.top == top + 1 else {
            lua.top = top
            return false
        }
        if lua.type(at: -1) == .table { makeReadOnly() }
        let ref = lua.ref()
        modules[name] = ref
        target.push(ref)
        return true
    }

    // MARK: - Code

    /// Pushes the compiled chunk of `program` on `target`, compiling it on first use.
    func pushChunk(_ program: LuaProgram, on target: Lua) -> LuaError? {
        assertOnWorker()
        if let ref = chunks[program.serial] {
            target.push(ref)
            return nil
        }
        if let error = lua.load(program.code, name: program.chunkName) { return error }
        chunks[program.serial] = lua.ref()
        target.push(chunks[program.serial]!)
        return nil
    }

    /// Pushes a fresh environment for one instance of `program` on `target`: an empty table whose misses fall
    /// through to the entry's scope (its modules, `require`, `process`) and then to the shared base. (`_G` is
    /// a local the program's code binds to it; see ``LuaProgram/code``.) In a workflow run (`deterministic`)
    /// the shared base is the workflow base (``pushWorkflowBase()``).
    ///
    /// `flattened` (for the one instance of a program that every process of the worker shares, see
    /// ``LuaProcess/sharesInstance``): the table also holds its own copy of every name of the scope and the
    /// base, so a global read in that code (`process`, `require`, `string`...) is one hash lookup instead of a
    /// miss and a walk of the `__index` chain (about a hundred instructions each, several per message in a
    /// message loop). It costs one table per program and worker, never per process. Such an environment
    /// behaves like stock Lua's `_G`: `pairs` lists the standard names, and assigning one replaces it.
    func pushEnvironment(for program: LuaProgram, on target: Lua, deterministic: Bool = false, flattened: Bool = false) {
        assertOnWorker()
        target.newTable()
        if deterministic {
            if let ref = workflowEnvironmentMetatables[program.serial] {
                target.push(ref)
            } else {
                buildEnvironmentMetatable(for: program, deterministic: true)
                target.push(workflowEnvironmentMetatables[program.serial]!)
            }
        } else if let ref = environmentMetatables[program.serial] {
            target.push(ref)
        } else {
            buildEnvironmentMetatable(for: program)
            target.push(environmentMetatables[program.serial]!)
        }
        target.setMetatable(-2)
        if flattened { copyScopes(intoEnvironmentAt: target.top, on: target) }
    }

    /// Copies into the environment at `env` every name along its `__index` chain (the entry scope, then the
    /// base) that it lacks: nearer tables win, as a lookup through the chain would.
    private func copyScopes(intoEnvironmentAt env: Int32, on target: Lua) {
        let base = target.top
        _ = target.ensureStack(6)
        var table = env
        // the chain is the scope and the base: the bound only guards against a cycle
        for _ in 0..<4 {
            guard target.getMetatable(table) else { break }
            guard target.rawGet(-1, key: "__index") == .table else { break }
            table = target.top
            target.pushNil()
            while target.next(table) {
                // key at -2, value at -1
                target.pushValue(at: -2)
                let present = target.rawGet(env) != .nil
                target.pop()
                if present {
                    target.pop()
                } else {
                    target.pushValue(at: -2)
                    target.insert(at: -2)
                    target.rawSet(env)
                }
            }
        }
        target.top = base
    }

    /// A task of `process` on a reset thread: a pooled one (the object and its thread reused), or a new one.
    /// Leaves nothing on the stack.
    ///
    /// A pooled task is reused as an object only while the pool holds the sole reference to it: whatever
    /// kept one past its process's end (a waiter list of a channel not yet collected, a pending closure) must
    /// never see it turn into another process's task. Such a task's thread is still reused, with a new task
    /// object, as threads always were (a stale holder only ever reads its own fields).
    func takeTask(for process: LuaProcess, isMain: Bool) -> LuaTask {
        assertOnWorker()
        if var pooled = taskPool.popLast() {
            if isKnownUniquelyReferenced(&pooled) {
                taskCounts.reused += 1
                pooled.reuse(for: process, isMain: isMain)
                return pooled
            }
            taskCounts.held += 1
            return LuaTask(thread: pooled.thread, anchor: pooled.anchor, process: process, isMain: isMain)
        }
        taskCounts.made += 1
        let thread = lua.newThread()
        return LuaTask(thread: thread, anchor: lua.ref(), process: process, isMain: isMain)
    }

    /// Takes back a finished task (its state already `.dead`): its thread reset and the task pooled, or the
    /// thread released when the pool is full or the thread cannot be reused.
    func recycle(_ task: LuaTask) {
        assertOnWorker()
        let thread = task.thread
        thread.extraSpace = nil
        thread.resetHook()
        // A thread that died of an error is not reused (and not reset, which allocates: the error may have
        // been the system refusing memory).
        let status = thread.status
        // A thread whose function returned (or never ran) is at its base call with nothing left to close, so
        // emptying its stack below is enough (a stack a deep call grew is shrunk by the collector's next
        // cycle): only a suspended one needs `lua_resetthread`, which unwinds it and closes its pending
        // upvalues and to-be-closed variables (and reallocates the stack: most threads end normally).
        guard taskPool.count < LuaWorkerState.taskPoolLimit, status == .ok || (status == .yield && thread.reset() == .ok) else {
            lua.unref(task.anchor)
            return
        }
        thread.top = 0
        taskPool.append(task)
    }

    /// Forgets cached code of programs that are no longer current (called when entries change).
    public func evict(serial: UInt64) {
        assertOnWorker()
        if let ref = chunks.removeValue(forKey: serial) { lua.unref(ref) }
        if let ref = environmentMetatables.removeValue(forKey: serial) { lua.unref(ref) }
        if let ref = workflowEnvironmentMetatables.removeValue(forKey: serial) { lua.unref(ref) }
        importPlans[serial] = nil
    }

    /// Forgets the cached code of every program whose serial is not in `current` (the programs installed
    /// now): compiled chunks, environment metatables, import plans and function instances. Worker thread
    /// only (``LuaRuntime/retireReplacedCode()`` posts it to each worker).
    ///
    /// Only this cache's anchors go: a process still running old code holds its functions and environments
    /// through its own stack, so they stay alive until it ends and the collector frees them. A process
    /// started with old code after this runs compiles it again (and that entry goes with the next sweep).
    func retireCode(keeping current: Set<UInt64>) {
        for serial in Array(chunks.keys) where !current.contains(serial) { evict(serial: serial) }
        for serial in Array(environmentMetatables.keys) where !current.contains(serial) { evict(serial: serial) }
        for serial in Array(workflowEnvironmentMetatables.keys) where !current.contains(serial) { evict(serial: serial) }
        for serial in Array(importPlans.keys) where !current.contains(serial) { importPlans[serial] = nil }
        for (entry, instance) in functionInstances where !current.contains(instance.serial) {
            lua.unref(instance.method)
            functionInstances[entry] = nil
        }
    }
}
