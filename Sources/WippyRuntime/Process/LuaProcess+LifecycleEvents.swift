public import WippyCore

/// The `process` system events on the runtime's bus: `process.start` when a Lua process (or function call)
/// of this node starts, `process.exit` when it ends. The path is the PID; the data is a table with `entry`
/// (the entry ID), `mode` (`process` or `function`) and, on exit, `result` (the returned value) or `error`.
///
/// Built only while some subscription's system pattern matches `process` (one atomic check otherwise), so
/// spawning costs the same when nobody listens. An upgrade (`process.upgrade`) is neither an exit nor a start.
extension LuaProcess {
    public static let eventSystem = "process"
    public static let startKind = "process.start"
    public static let exitKind = "process.exit"

    /// Sends `process.start` if anyone listens.
    func announceStart() {
        // The check reads through a guaranteed reference: holding the runtime in a local retained and
        // released it for every process, listened to or not.
        guard Self.eventsWanted(workerState) else { return }
        let runtime = workerState.runtime
        runtime.bus.send(BusEvent(system: Self.eventSystem, kind: Self.startKind, path: pid.description, data: .table(eventData())))
    }

    public func exited(_ process: ProcessCell, result: ProcessResult) {
        guard Self.eventsWanted(workerState) else { return }
        let runtime = workerState.runtime
        var data = eventData()
        if let error = result.error { data["error"] = .error(error) } else { data["result"] = result.value }
        runtime.bus.send(BusEvent(system: Self.eventSystem, kind: Self.exitKind, path: pid.description, data: .table(data)))
    }

    @inline(__always)
    private static func eventsWanted(_ state: LuaWorkerState) -> Bool {
        Unmanaged.passUnretained(state.runtime)._withUnsafeGuaranteedRef { $0.processEventInterest.isActive }
    }

    private func eventData() -> PayloadTable {
        var data = PayloadTable()
        data["entry"] = .string(program.entryID.description)
        data["mode"] = .string(mode == .process ? "process" : "function")
        return data
    }
}
