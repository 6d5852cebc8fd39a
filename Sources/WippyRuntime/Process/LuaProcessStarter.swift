public import WippyCore

/// Starts a Lua process or function call on its worker: builds the behaviour in the worker's Lua state.
public final class LuaProcessStarter: ProcessStarter {
    public let program: LuaProgram
    public let mode: LuaProcess.Mode
    public let arguments: [Payload]
    public let context: ExecutionContext
    /// Spawn options from `process.with_options` (string keys), for the host and the process to read.
    public let options: [String: Payload]
    /// Replaces a running process (`process.upgrade`): no `process.start` event.
    let isUpgrade: Bool

    public convenience init(
        program: LuaProgram, mode: LuaProcess.Mode = .process, arguments: [Payload], context: ExecutionContext = .empty,
        options: [String: Payload] = [:]
    ) {
        self.init(program: program, mode: mode, arguments: arguments, context: context, isUpgrade: false, options: options)
    }

    init(
        program: LuaProgram, mode: LuaProcess.Mode, arguments: [Payload], context: ExecutionContext, isUpgrade: Bool,
        options: [String: Payload] = [:]
    ) {
        self.isUpgrade = isUpgrade
        self.options = options
        self.program = program
        self.mode = mode
        self.arguments = arguments
        self.context = context
    }

    public func makeBehavior(for process: ProcessCell) throws(WippyError) -> any ProcessBehavior {
        guard let state = process.worker.local as? LuaWorkerState else {
            throw WippyError.internal("host \(process.worker.host.id) cannot run Lua processes")
        }
        let behavior = LuaProcess(cell: process, state: state, program: program, mode: mode, arguments: arguments, context: context)
        do {
            try behavior.start()
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
        return behavior
    }
}
