import WippyCore
import WippyLua

/// Per-process memory limits on this worker: opening accounts, safe-point service, figures.
extension LuaWorkerState {
    /// Opens the memory account of a new process: `limit` bytes (0: none; nil: the host's limit).
    func openAccount(for process: LuaProcess, limit: Int?) -> LuaAccount {
        let bytes = limit ?? memorySettings.processLimit ?? 0
        return memory.open(limit: bytes > 0 ? bytes : nil, owner: Unmanaged.passUnretained(process).toOpaque())
    }

    /// Runs the memory checks that are due (collecting garbage as needed) and hands each doomed account to
    /// its process, which then ends; after the system refused memory, collects what failed processes left and
    /// takes back the emergency reserve. Call at a safe point: between resumes, or from a native; never from
    /// inside an allocation.
    func serviceMemory() {
        memory.recover(on: lua)
        if memory.hasPendingChecks { memory.check(on: lua) }
        while let owner = memory.takeDoomed() {
            Unmanaged<LuaProcess>.fromOpaque(owner).takeUnretainedValue().memoryDoomed()
        }
    }

    /// The worker's memory figures, with each process's when `includingProcesses` (worker thread only).
    public func memoryUsage(includingProcesses: Bool = false) -> WorkerMemoryUsage {
        var count = 0
        var total = 0
        var processes: [ProcessMemoryUsage] = []
        for cell in worker.host.node.processes(on: worker) {
            guard let process = cell.behavior as? LuaProcess else { continue }
            let usage = process.memoryUsage
            count += 1
            total += usage.bytes
            if includingProcesses { processes.append(usage) }
        }
        return WorkerMemoryUsage(
            worker: worker.index, luaBytes: memory.totalBytes, peakLuaBytes: memory.peakBytes,
            heapMappedBytes: memory.heapMappedBytes, processCount: count, processBytes: total,
            checks: memory.checks, collections: memory.collections, kills: memory.kills, processes: processes)
    }
}
