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
        let runtime = workerState.runtime
        guard runtime.processEventInterest.isActive else { return }
        runtime.bus.send(BusEvent(system: Self.eventSystem, kind: Self.startKind, path: pid.description, data: .table(eventData())))
    }

    public func exited(_ process: ProcessCell, result: ProcessResult) {
        let runtime = workerState.runtime
        guard runtime.processEventInterest.isActive else { return }
        var data = eventData()
        if let error = result.error { data["error"] = .error(error) } else { data["result"] = result.value }
        runtime.bus.send(BusEvent(system: Self.eventSystem, kind: Self.exitKind, path: pid.description, data: .table(data)))
    }

    private func eventData() -> PayloadTable {
        var data = PayloadTable()
        data["entry"] = .string(program.entryID.description)
        data["mode"] = .string(mode == .process ? "process" : "function")
        return data
    }
}
