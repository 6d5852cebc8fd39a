import Synchronization
import WippyCore
import WippyLua

/// The worker's share of memory management: the runtime-wide soft memory limit, the collector percent, and
/// figures for `system.memory.stats`. Everything here runs on the worker's own thread.
///
/// The limit costs nothing on the message path: it is checked once per collection cycle, from the finalizer
/// of a sentinel object (a cycle is what the heap's growth brings about anyway). When the heaps of all
/// workers together exceed the limit, a full collection is queued on this worker (it runs between two process
/// runs: no collection can start inside a finalizer) and the other workers are asked for one too.
extension LuaWorkerState {
    /// The generational collector's minor multiplier the workers run with.
    static let minorCollectionMultiplier: Int32 = 50

    /// Publishes this worker's heap size and, when the heaps of all workers together exceed the runtime's
    /// memory limit, collects here in full and asks the other workers to do the same (rate-limited).
    public func checkMemoryLimit() {
        worker.publishedBytes.store(state.allocatedBytes, ordering: .relaxed)
        guard isOverMemoryLimit else { return }
        collectForMemoryLimit()
        runtime.collectOtherWorkers(except: worker)
    }

    private var isOverMemoryLimit: Bool {
        let limit = runtime.memoryLimit
        return limit > 0 && runtime.luaBytesEstimate > limit
    }

    /// A full collection asked for by the memory limit or `system.gc.collect` (here or by another worker).
    public func collectForMemoryLimit() {
        state.collectGarbage()
        worker.publishedBytes.store(state.allocatedBytes, ordering: .relaxed)
    }

    /// Applies the collector percent: the generational collector's major multiplier (clamped to 10...1000: a
    /// full collection runs when the heap has grown that many percent past what the last one left). A negative
    /// value means "off" as far as Lua allows: the slowest pace (minor multiplier 100, major 1000), with the
    /// memory limit collecting when the heaps exceed it.
    func applyGCPercent(_ percent: Int64) {
        if percent < 0 {
            state.setGenerationalMultipliers(minor: 100, major: 1000)
        } else {
            state.setGenerationalMultipliers(minor: Self.minorCollectionMultiplier, major: Int32(min(max(percent, 10), 1000)))
        }
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
        worker.worker.publishedBytes.store(worker.bytesAfterLastCycle, ordering: .relaxed)
        if !worker.limitCollectionQueued, worker.isOverMemoryLimit {
            worker.limitCollectionQueued = true
            worker.worker.perform { thread in
                guard let local = thread.local as? LuaWorkerState else { return }
                // Cleared after the collection: the cycle it completes must not queue another one (the live
                // heap alone may exceed the limit); the next cycle that allocation brings about will.
                local.checkMemoryLimit()
                local.limitCollectionQueued = false
            }
        }
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
