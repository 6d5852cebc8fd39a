public import WippyCore
import WippyLua

/// Starts a Lua process or function call on its worker: builds the behaviour in the worker's Lua state.
///
/// `@unchecked Sendable`: `program`, `context` and `stashed` change only on a starter of the worker's pool
/// (``LuaWorkerState/starterPool``), which no other thread and no cell holds (see ``reused(in:program:stashed:context:)``).
public final class LuaProcessStarter: ProcessStarter, @unchecked Sendable {
    public private(set) var program: LuaProgram
    public let mode: LuaProcess.Mode
    public let arguments: [Payload]
    public private(set) var context: ExecutionContext
    /// Spawn options from `process.with_options` (string keys), for the host and the process to read.
    public let options: [String: Payload]
    /// Bytes the process may hold: nil for its host's limit, 0 for none (e.g. from a spawner's
    /// `memory_limit` option).
    public let memoryLimit: Int?
    /// Replaces a running process (`process.upgrade`): no `process.start` event.
    let isUpgrade: Bool
    /// Makes the process a workflow run (``LuaProcess/determinism``): attached before it starts.
    public let determinism: WorkflowDeterminism?

    public convenience init(
        program: LuaProgram, mode: LuaProcess.Mode = .process, arguments: [Payload], context: ExecutionContext = .empty,
        options: [String: Payload] = [:], memoryLimit: Int? = nil, determinism: WorkflowDeterminism? = nil
    ) {
        self.init(
            program: program, mode: mode, arguments: arguments, context: context, isUpgrade: false, options: options,
            memoryLimit: memoryLimit, determinism: determinism)
    }

    /// For a replacement: where the new process's request tokens start (after the replaced one's, so a
    /// completion or timer of the old instance still in flight matches nothing in the new one).
    let firstToken: UInt64
    /// The start arguments as Lua values in the worker's ``ArgumentStash``, when the child was placed on its
    /// parent's worker (then ``arguments`` is empty).
    private(set) var stashed: ArgumentStash.Slot?

    /// A child spawned onto the spawning process's own worker, its arguments kept in Lua.
    convenience init(program: LuaProgram, stashed: ArgumentStash.Slot, context: ExecutionContext) {
        self.init(program: program, mode: .process, arguments: [], context: context, isUpgrade: false, stashed: stashed)
    }

    /// A starter for a child spawned onto `state`'s worker with its arguments stashed: one of the worker's
    /// pool when one is free, else a new one. A child started this way gives its starter back when it has
    /// started (``makeBehavior(for:)``), so a spawn loop allocates and frees no starter per child (about 600
    /// instructions of allocation, deinitialisation and freeing).
    static func reused(in state: LuaWorkerState, program: LuaProgram, stashed: ArgumentStash.Slot, context: ExecutionContext)
        -> LuaProcessStarter
    {
        while var pooled = state.starterPool.popLast() {
            // Only a starter nobody else holds is changed (the worker drops its own reference only once
            // makeBehavior has returned, after the starter went back to the pool).
            guard isKnownUniquelyReferenced(&pooled) else { continue }
            pooled.program = program
            pooled.context = context
            pooled.stashed = stashed
            state.startersReused += 1
            return pooled
        }
        return LuaProcessStarter(program: program, stashed: stashed, context: context)
    }

    /// Whether this starter may go back to a worker's pool once its process started: only the plain kind
    /// ``reused(in:program:stashed:context:)`` makes (the other fields are then always the same).
    private var isPoolable: Bool {
        stashed != nil && mode == .process && !isUpgrade && determinism == nil && firstToken == 0 && memoryLimit == nil
            && arguments.isEmpty && options.isEmpty
    }

    init(
        program: LuaProgram, mode: LuaProcess.Mode, arguments: [Payload], context: ExecutionContext, isUpgrade: Bool,
        options: [String: Payload] = [:], memoryLimit: Int? = nil, firstToken: UInt64 = 0, determinism: WorkflowDeterminism? = nil,
        stashed: ArgumentStash.Slot? = nil
    ) {
        self.stashed = stashed
        self.isUpgrade = isUpgrade
        self.firstToken = firstToken
        self.determinism = determinism
        self.options = options
        self.program = program
        self.mode = mode
        self.arguments = arguments
        self.context = context
        self.memoryLimit = memoryLimit
    }

    public func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
        guard let state = process.worker.local as? LuaWorkerState else {
            throw WippyError.internal("host \(process.worker.host.id) cannot run Lua processes")
        }
        let behavior = LuaProcess(
            cell: process, state: state, program: program, mode: mode, arguments: arguments, context: context,
            memoryLimit: memoryLimit)
        behavior.nextToken = firstToken
        if let determinism { behavior.determinism = determinism }
        // What start-up makes (the task's thread, its arguments) is the process's.
        let previous = state.memory.charge(behavior.account)
        defer { state.memory.charge(previous) }
        do {
            try behavior.start(stashed: stashed)
        } catch {
            behavior.discard(process)
            throw error
        }
        if isUpgrade {
            // Events forwarded to the replaced instance may still arrive; they must not reach the inbox.
            behavior.mayReceiveBusEvents = true
        } else {
            behavior.announceStart()
        }
        if isPoolable, state.starterPool.count < LuaWorkerState.starterPoolLimit {
            // Its slot was taken by start: a stale one must never be taken twice.
            stashed = nil
            state.starterPool.append(self)
        }
        return behavior
    }

    /// A process or function call may start on any worker of its host; arguments kept in this worker's Lua
    /// state leave it as payloads, as they would have for a child placed on another worker at spawn. An upgrade
    /// (it replaces a running process) and a workflow run stay.
    public func relocatable(from process: ProcessCell) -> (any ProcessStarter)? {
        guard !isUpgrade, determinism == nil else { return nil }
        guard let stashed else { return self }
        guard let state = process.worker.local as? LuaWorkerState else { return nil }
        let arguments = state.argumentStash.takePayloads(stashed, on: state.lua)
        return LuaProcessStarter(program: program, mode: mode, arguments: arguments, context: context, isUpgrade: false)
    }

    public func abandon(_ process: ProcessCell) {
        guard let stashed, let state = process.worker.local as? LuaWorkerState else { return }
        state.argumentStash.discard(stashed, on: state.lua)
    }
}
