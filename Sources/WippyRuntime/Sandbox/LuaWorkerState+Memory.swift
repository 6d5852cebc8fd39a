import Synchronization
import WippyCore
public import WippyLua

/// The worker's share of memory management: the runtime-wide soft memory limit, the collector percent, and
/// figures for `system.memory.stats`. Everything here runs on the worker's own thread.
extension LuaWorkerState {
    /// How much a worker's heap grows between two checks of the memory limit.
    var memoryCheckStep: Int {
        let limit = runtime.memoryLimit
        guard limit > 0 else { return 64 << 20 }
        return max(1 << 20, Int(limit / 64))
    }

    /// Called before a process runs when the heap reached ``memoryCheckThreshold``: publishes this worker's
    /// heap size and, when the heaps of all workers together exceed the runtime's memory limit, collects in
    /// full here and asks the other workers to do the same (rate-limited), rather than letting garbage pile up
    /// until the collector's own pace gets to it.
    @inline(never)
    public func checkMemoryLimit() {
        let bytes = state.allocatedBytes
        worker.publishedBytes.store(bytes, ordering: .relaxed)
        let limit = runtime.memoryLimit
        if limit > 0, runtime.luaBytesEstimate > limit {
            collectForMemoryLimit()
            runtime.collectOtherWorkers(except: worker)
        }
        memoryCheckThreshold = state.allocatedBytes + memoryCheckStep
    }

    /// A full collection asked for by the memory limit (here or by another worker).
    public func collectForMemoryLimit() {
        state.collectGarbage()
        worker.publishedBytes.store(state.allocatedBytes, ordering: .relaxed)
        memoryCheckThreshold = state.allocatedBytes + memoryCheckStep
    }

    /// Applies the collector percent: the generational collector's major multiplier (clamped to 10...1000),
    /// or automatic collection off for a negative value (the memory limit still collects).
    func applyGCPercent(_ percent: Int64) {
        if percent < 0 {
            state.stopGarbageCollector()
            return
        }
        state.restartGarbageCollector()
        state.setMajorCollectionMultiplier(Int32(min(max(percent, 10), 1000)))
    }

    // MARK: - Counting collections

    private static let sentinelLiveKey = "wippy.gc.counting"

    /// Counts collection cycles with a sentinel: a table whose finalizer counts, notes the heap size and makes
    /// the next sentinel (Lua keeps no cycle count of its own).
    func startCountingCollections() {
        lua.push(true)
        lua.rawSet(Lua.registryIndex, key: Self.sentinelLiveKey)
        lua.newTable()
        lua.push(native: Self.sentinelCollected)
        lua.rawSet(-2, key: "__gc")
        lua.rawSet(Lua.registryIndex, key: "wippy.gc.sentinel")
        Self.makeSentinel(on: lua)
    }

    func stopCountingCollections() {
        lua.pushNil()
        lua.rawSet(Lua.registryIndex, key: Self.sentinelLiveKey)
    }

    private static func makeSentinel(on lua: Lua) {
        lua.newTable()
        lua.rawGet(Lua.registryIndex, key: "wippy.gc.sentinel")
        lua.setMetatable(-2)
        lua.pop()
    }

    private static let sentinelCollected: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.rawGet(Lua.registryIndex, key: sentinelLiveKey) == .boolean else {
            lua.pop()
            return 0
        }
        lua.pop()
        let worker = LuaWorkerState.of(lua)
        worker.collectionCycles += 1
        worker.bytesAfterLastCycle = worker.state.allocatedBytes
        makeSentinel(on: lua)
        return 0
    }

    // MARK: - Figures

    /// This worker's memory figures, for `system.memory.stats`.
    public var memoryFigures: WorkerMemoryFigures {
        worker.publishedBytes.store(state.allocatedBytes, ordering: .relaxed)
        return WorkerMemoryFigures(
            heapBytes: Int64(state.allocatedBytes), peakBytes: Int64(state.peakBytes),
            mappedBytes: Int64(state.heapMappedBytes), collections: Int64(collectionCycles),
            bytesAfterLastCollection: Int64(bytesAfterLastCycle))
    }
}

/// One worker's memory figures (taken on its thread).
///
/// Per-process figures are not kept yet; when they are, this is where a worker reports them.
public struct WorkerMemoryFigures: Sendable {
    /// Bytes the worker's Lua state holds now.
    public var heapBytes: Int64 = 0
    /// The most it ever held.
    public var peakBytes: Int64 = 0
    /// Address space its small-object heap has mapped.
    public var mappedBytes: Int64 = 0
    /// Collection cycles completed.
    public var collections: Int64 = 0
    /// What the last completed cycle left.
    public var bytesAfterLastCollection: Int64 = 0

    public init(heapBytes: Int64 = 0, peakBytes: Int64 = 0, mappedBytes: Int64 = 0, collections: Int64 = 0, bytesAfterLastCollection: Int64 = 0) {
        self.heapBytes = heapBytes
        self.peakBytes = peakBytes
        self.mappedBytes = mappedBytes
        self.collections = collections
        self.bytesAfterLastCollection = bytesAfterLastCollection
    }
}
