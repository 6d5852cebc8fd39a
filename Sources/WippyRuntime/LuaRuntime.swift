public import Logging
public import WippyCore
import Synchronization

/// What all Lua workers share: the node, the built-in modules, the current code of every Lua entry, and
/// where logs go. Thread-safe.
public final class LuaRuntime: Sendable {
    public let node: Node
    public let modules: [String: any LuaModule]
    public let logger: Logger
    /// The event bus (`events` module, runtime events).
    public let bus: EventBus
    /// The registry the application runs from (`registry` module), when there is one.
    public let registry: Registry?
    /// The supervisor of the application's services (`system.supervisor`), when there is one.
    public let supervisor: Supervisor?
    /// Whether anyone listens to `process` system events (process starts and exits).
    let processEventInterest: EventInterest
    private let programs = Mutex<[EntryID: LuaProgram]>([:])
    /// Incremented whenever an entry's code changes; caches of resolved code compare it.
    private let codeGenerationCounter = Atomic<UInt64>(1)
    private let terminalHosts = Mutex<Set<String>>([])
    /// Processes that asked for `pid.outdated` events, by the entry they run.
    private let upgradableProcesses = Mutex<[PID: EntryID]>([:])
    /// The open resources (databases, stores, queues, directories) by entry ID, which the resource kinds
    /// keep in step with the registry and modules acquire from.
    public let resources: ResourceTable
    /// Where natives run work that waits (``LuaProcess/performBlocking(_:from:work:resume:)``); its threads
    /// start on first use and stop with ``shutdown(timeout:)`` (or when the runtime is freed).
    public let blockingPool: BlockingPool
    /// Runtime-wide controls of the `system` module (see LuaRuntime+System.swift).
    let memoryLimitBytes = Atomic<Int64>(LuaRuntime.defaultMemoryLimit)
    let gcPercentValue = Atomic<Int64>(100)
    let maxProcsValue = Atomic<Int64>(LuaRuntime.processorCount)
    let exitHandler = Mutex<(@Sendable (Int32) -> Void)?>(nil)
    /// When workers were last asked to collect because the memory limit was exceeded (monotonic ns).
    let lastLimitCollection = Atomic<UInt64>(0)
    /// The memory settings of each host made by ``makeHost(id:workers:terminal:processMemoryLimit:)``.
    private let hostMemory = Mutex<[String: HostMemorySettings]>([:])

    public init(node: Node, modules: [any LuaModule], logger: Logger, bus: EventBus = EventBus(), registry: Registry? = nil,
                supervisor: Supervisor? = nil, resources: ResourceTable = ResourceTable(),
                blockingThreads: Int = BlockingPool.defaultThreadCount) {
        self.node = node
        self.resources = resources
        self.blockingPool = BlockingPool(threads: blockingThreads)
        self.supervisor = supervisor
        self.bus = bus
        self.registry = registry
        self.processEventInterest = bus.interest(inSystem: LuaProcess.eventSystem)
        var table: [String: any LuaModule] = [:]
        for module in modules { table[module.name] = module }
        table["process"] = ProcessModule()
        self.modules = table
        self.logger = logger
    }

    /// Stops the blocking pool (after the hosts stopped): queued work is refused, running work gets up to
    /// `timeout` to end. False when some was still running.
    @discardableResult
    /// The resources are taken out of service first: each closes once its last lease is released.
    public func shutdown(timeout: Duration) -> Bool {
        resources.removeAll()
        return blockingPool.shutdown(timeout: timeout)
    }

    // MARK: - Code

    public func program(_ id: EntryID) -> LuaProgram? { programs.withLock { $0[id] } }

    /// Makes `program` the current code of its entry (new spawns and calls use it).
    public func install(_ program: LuaProgram) {
        programs.withLock { $0[program.entryID] = program }
        codeGenerationCounter.add(1, ordering: .releasing)
    }

    public func removeProgram(_ id: EntryID) {
        _ = programs.withLock { $0.removeValue(forKey: id) }
        codeGenerationCounter.add(1, ordering: .releasing)
    }

    /// Changes whenever installed code changes.
    public var codeGeneration: UInt64 { codeGenerationCounter.load(ordering: .acquiring) }

    public var programIDs: [EntryID] { programs.withLock { Array($0.keys) } }

    /// Tells every worker of this runtime's hosts to drop the cached code of programs no longer installed
    /// (replaced or removed by a registry change), through each worker's inbox: a worker's Lua state is
    /// touched only by its own thread. Without it each reload would leave its compiled chunks behind on
    /// every worker that ran them.
    public func retireReplacedCode() {
        let current = programs.withLock { Set($0.values.map(\.serial)) }
        for hostID in node.hostIDs {
            guard let host = node.host(hostID) else { continue }
            for worker in host.workers {
                worker.perform { [weak self] worker in
                    guard let state = worker.local as? LuaWorkerState, state.runtime === self else { return }
                    state.retireCode(keeping: current)
                }
            }
        }
    }

    // MARK: - Upgrades

    func registerUpgradable(_ pid: PID, entry: EntryID) { upgradableProcesses.withLock { $0[pid] = entry } }

    func unregisterUpgradable(_ pid: PID) { _ = upgradableProcesses.withLock { $0.removeValue(forKey: pid) } }

    /// True when the process asked to be told of code changes rather than restarted.
    public func isUpgradable(_ pid: PID) -> Bool { upgradableProcesses.withLock { $0[pid] != nil } }

    /// Sends `pid.outdated` to every upgradable process whose entry is among `changed` (code entries whose
    /// program changed, importers included); `sources` lists the changed IDs.
    public func notifyOutdated(_ changed: Set<EntryID>) {
        guard !changed.isEmpty else { return }
        let targets = upgradableProcesses.withLock { $0.filter { changed.contains($0.value) } }
        let sources = changed.map(\.description).sorted()
        for (pid, _) in targets { node.send(to: pid, .event(.outdated(sources: sources))) }
    }

    // MARK: - Hosts

    /// Creates a process host whose workers each own a Lua state. `processMemoryLimit` is the bytes each of
    /// its processes may hold (nil: no limit); see ``HostMemorySettings``.
    public func makeHost(
        id: String, workers: Int, terminal: Bool = false,
        processMemoryLimit: Int? = HostMemorySettings.defaultProcessLimit
    ) -> ProcessHost {
        if terminal { terminalHosts.withLock { _ = $0.insert(id) } }
        let memory = HostMemorySettings(processLimit: processMemoryLimit)
        hostMemory.withLock { $0[id] = memory }
        return ProcessHost(id: id, node: node, workerCount: workers) { [self] worker in
            LuaWorkerState(runtime: self, worker: worker, memory: memory)
        }
    }

    /// The memory settings of a host made here (nil for other hosts).
    public func memorySettings(host id: String) -> HostMemorySettings? { hostMemory.withLock { $0[id] } }

    public func isTerminalHost(_ id: String) -> Bool { terminalHosts.withLock { $0.contains(id) } }

    // MARK: - Statistics

    /// Memory of every worker of host `id` (and of each of its processes with `includingProcesses`), gathered
    /// on each worker's thread; `completion` runs on the last worker to answer. nil for an unknown host or one
    /// not running Lua.
    public func memoryReport(
        host id: String, includingProcesses: Bool = false,
        completion: @escaping @Sendable (HostMemoryReport?) -> Void
    ) {
        guard let host = node.host(id), let settings = memorySettings(host: id) else {
            completion(nil)
            return
        }
        let workers = host.workers
        let gathered = Mutex<[WorkerMemoryUsage]>([])
        for worker in workers {
            worker.perform { worker in
                let usage = (worker.local as? LuaWorkerState)?.memoryUsage(includingProcesses: includingProcesses)
                let all = gathered.withLock { list -> [WorkerMemoryUsage]? in
                    if let usage { list.append(usage) } else {
                        list.append(WorkerMemoryUsage(
                            worker: worker.index, luaBytes: 0, peakLuaBytes: 0, heapMappedBytes: 0, processCount: 0,
                            processBytes: 0, checks: 0, collections: 0, kills: 0, processes: []))
                    }
                    return list.count == workers.count ? list : nil
                }
                if let all {
                    completion(HostMemoryReport(
                        host: id, processLimit: settings.processLimit, workers: all.sorted { $0.worker < $1.worker }))
                }
            }
        }
    }

    /// Bytes held by the Lua states of every worker, as each last published them (at its last full
    /// collection, or when a process on it asked for statistics).
    public var luaBytesEstimate: Int64 {
        Int64(node.hostIDs.compactMap { node.host($0) }.flatMap(\.workers).reduce(0) { $0 + $1.publishedBytes.load(ordering: .relaxed) })
    }

    // MARK: - Logging

    /// Writes a log record for Lua code (`print`, `logger`), tagged with the process and location.
    public func log(_ level: Logger.Level, _ message: String, pid: PID?, location: String?, fields: Logger.Metadata = [:]) {
        var metadata = fields
        if let pid { metadata["pid"] = .string(pid.description) }
        if let location, !location.isEmpty { metadata["location"] = .string(location) }
        logger.log(level: level, "\(message)", metadata: metadata)
    }
}
