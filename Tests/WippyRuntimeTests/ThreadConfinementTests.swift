import Logging
import Synchronization
import Testing
import WippyCore
import WippyRuntime

/// Issue 7 item 10: what a worker owns is touched on its thread only (debug builds check it), and what other
/// threads read of it (process counts) is safe to read from any thread.
@Suite struct ThreadConfinementTests {
    #if DEBUG
    @Test func aWorkerStateMadeOffItsWorkerThreadStopsADebugBuild() async {
        await #expect(processExitsWith: .failure) {
            let node = Node()
            let runtime = LuaRuntime(node: node, modules: [], logger: Logger(label: "confinement"))
            let host = runtime.makeHost(id: "app:processes", workers: 1)
            // The test's thread is not the worker's: the worker state (a Lua state) must not be built here.
            _ = LuaWorkerState(runtime: runtime, worker: host.workers[0])
        }
    }
    #endif

    @Test func processCountsAreReadFromAnotherThreadWhileProcessesComeAndGo() async {
        let node = await LuaTestNode.make(workers: 2)
        defer { node.shutdown() }
        node.install("test:child", source: "return { main = function() return 1 end }")
        let total = 2_000
        // A reader on its own thread, as `system` statistics and status reports are.
        let stop = Atomic<Bool>(false)
        let range = Mutex<(low: Int, high: Int, reads: Int)>((0, 0, 0))
        let reader = Task.detached {
            while !stop.load(ordering: .relaxed) {
                let count = node.host.processCount
                range.withLock { $0 = (min($0.low, count), max($0.high, count), $0.reads + 1) }
                await Task.yield()
            }
        }
        for _ in 0..<total { _ = node.spawn("test:child") }
        #expect(await node.wait("every child gone", until: { node.host.processCount == 0 && node.node.processCount == 0 }))
        stop.store(true, ordering: .relaxed)
        await reader.value
        let seen = range.withLock { $0 }
        #expect(seen.low >= 0 && seen.high <= total, "\(seen)")
        #expect(seen.reads > 0)
    }
}
