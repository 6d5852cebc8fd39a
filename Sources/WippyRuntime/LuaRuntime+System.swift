public import WippyCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runtime-wide controls behind the `system` module: the soft memory limit, the collector's percent, the
/// processor budget and the request to exit.
extension LuaRuntime {
    /// Wippy's default soft memory limit: 1 GiB.
    public static let defaultMemoryLimit: Int64 = 1 << 30

    static var processorCount: Int64 { Int64(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    // MARK: - Memory limit

    /// The soft limit on the Lua heaps of all workers together, in bytes; -1 when there is none. Above it,
    /// workers run full collections as their heaps grow (see ``LuaWorkerState``), instead of waiting for the
    /// collector's own pace.
    public var memoryLimit: Int64 { memoryLimitBytes.load(ordering: .relaxed) }

    /// Sets the soft memory limit (a negative value removes it); returns the previous one.
    @discardableResult
    public func setMemoryLimit(_ bytes: Int64) -> Int64 {
        memoryLimitBytes.exchange(bytes < 0 ? -1 : bytes, ordering: .relaxed)
    }

    /// Called by a worker whose check found the heaps over the limit: asks every other Lua worker (through its
    /// inbox) for a full collection, at most every `interval` nanoseconds. True when it asked.
    @discardableResult
    func collectOtherWorkers(except current: Worker, interval: UInt64 = 100_000_000) -> Bool {
        let now = MonotonicClock.now()
        let last = lastLimitCollection.load(ordering: .relaxed)
        guard now &- last >= interval,
            lastLimitCollection.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
        else { return false }
        for worker in allWorkers where worker !== current {
            worker.perform { worker in (worker.local as? LuaWorkerState)?.collectForMemoryLimit() }
        }
        return true
    }

    /// The workers of every host of the node.
    public var allWorkers: [Worker] { node.hostIDs.compactMap { node.host($0) }.flatMap(\.workers) }

    // MARK: - Collector

    /// The collector percent (`system.gc.get_percent`): how far a worker's heap may grow past what its last
    /// full collection left before the next one; negative when automatic collection is off.
    public var gcPercent: Int64 { gcPercentValue.load(ordering: .relaxed) }

    /// Sets the collector percent on every Lua worker (each applies it on its own thread); returns the previous.
    @discardableResult
    public func setGCPercent(_ percent: Int64) -> Int64 {
        let previous = gcPercentValue.exchange(percent, ordering: .relaxed)
        for worker in allWorkers {
            worker.perform { worker in (worker.local as? LuaWorkerState)?.applyGCPercent(percent) }
        }
        return previous
    }

    // MARK: - Processors

    /// The processor budget (`system.runtime.max_procs`): the number of CPUs by default. Hosts size their
    /// worker pools when they start, so a new value is recorded for what reads it, not applied to running
    /// hosts.
    public var maxProcs: Int64 { maxProcsValue.load(ordering: .relaxed) }

    /// Records a new processor budget (> 0); returns the previous one.
    @discardableResult
    public func setMaxProcs(_ count: Int64) -> Int64 { maxProcsValue.exchange(max(1, count), ordering: .relaxed) }

    // MARK: - Exit

    /// Installs what `system.exit(code)` calls: the application shuts the whole runtime down and exits with
    /// `code`. Without a handler `system.exit` fails (nothing could stop the runtime).
    public func setExitHandler(_ handler: @escaping @Sendable (Int32) -> Void) {
        exitHandler.withLock { $0 = handler }
    }

    /// Asks the application to shut down and exit with `code`; false when no handler is installed.
    public func requestExit(code: Int32) -> Bool {
        guard let handler = exitHandler.withLock({ $0 }) else { return false }
        handler(code)
        return true
    }
}
