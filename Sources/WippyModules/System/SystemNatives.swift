import Synchronization
import WippyCore
import WippyLua
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

enum SystemNatives {
    static let memoryStats: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let process = LuaProcess.current(lua) else { return lua.raise("system needs a running process") }
        process.cell.worker.publishedBytes.store(process.workerState.state.allocatedBytes, ordering: .relaxed)
        let lua_bytes = process.workerState.runtime.luaBytesEstimate
        let rss = Int64(residentBytes())
        lua.newTable()
        for (key, value) in [("rss", rss), ("sys", rss), ("lua_bytes", lua_bytes), ("heap_alloc", lua_bytes), ("alloc", lua_bytes)] {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
        return 1
    }

    static let allocated: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let process = LuaProcess.current(lua) else { return lua.raise("system needs a running process") }
        lua.push(process.workerState.runtime.luaBytesEstimate)
        return 1
    }

    /// Full collection on every worker of every host (each on its own thread), then `malloc_trim`; the
    /// calling task waits until all are done.
    static let collect: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let task = LuaTask.current(lua) else { return lua.raise("system needs a running process") }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let process = task.process
        let token = process.suspend(task) { thread, _ in
            thread.push(true)
            return 1
        }
        let node = process.node
        let workers = node.hostIDs.compactMap { node.host($0) }.flatMap(\.workers)
        let remaining = Mutex(workers.count)
        let cell = process.cell
        for worker in workers {
            worker.perform { worker in
                if let local = worker.local as? LuaWorkerState {
                    local.state.collectGarbage()
                    worker.publishedBytes.store(local.state.allocatedBytes, ordering: .relaxed)
                }
                let last = remaining.withLock { count -> Bool in
                    count -= 1
                    return count == 0
                }
                if last {
                    _ = releaseFreeHeap(0)
                    cell.worker.complete(cell, token: token, .values([]))
                }
            }
        }
        return lua.yieldToScheduler()
    }

    static let processes: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(LuaWorkerState.of(lua).runtime.node.processCount))
        return 1
    }

    static let cpuCount: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        return 1
    }

    static let osPID: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(Int64(getpid()))
        return 1
    }

    /// Resident set size of this program, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        guard withUnsafeMutablePointer(to: &size, { s in withUnsafeMutablePointer(to: &resident) { r in readTwo(file, s, r) } }) else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func readTwo(_ file: UnsafeMutablePointer<FILE>, _ a: UnsafeMutablePointer<Int>, _ b: UnsafeMutablePointer<Int>) -> Bool {
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, 128, file) != nil else { return false }
        let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let first = Int(fields[0]), let second = Int(fields[1]) else { return false }
        a.pointee = first
        b.pointee = second
        return true
    }

    /// The state of every supervised host and service, sorted by ID.
    static let supervisorStates: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        let states = worker.runtime.supervisor?.states() ?? []
        LuaValueConverter.push(.array(states.map(\.payload)), on: lua, state: worker)
        return 1
    }
}

/// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export): returns free heap
/// pages to the OS.
@_silgen_name("malloc_trim")
private func releaseFreeHeap(_ pad: Int) -> Int32
