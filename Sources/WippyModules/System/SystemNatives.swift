import Synchronization
import WippyCore
import WippyLua
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Memory and collector natives of `system`.
enum SystemNatives {
    /// Runs `work` on every worker of every host, each on its own thread through its inbox (never touching a
    /// worker's Lua state from another thread), then resumes the calling task with `finish` of the results.
    static func onEveryWorker<T: Sendable>(
        _ lua: Lua, _ work: @escaping @Sendable (Worker) -> T, finish: @escaping ([T], Lua) -> Int32
    ) -> Int32 {
        guard let task = LuaTask.current(lua) else { return lua.raise("system needs a running process") }
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        let process = task.process
        let token = process.suspend(task) { thread, completion in
            guard case .custom(let box) = completion, let results = box as? [T] else { return finish([], thread) }
            return finish(results, thread)
        }
        let workers = process.workerState.runtime.allWorkers
        let collected = Mutex<[T]>([])
        let cell = process.cell
        for worker in workers {
            worker.perform { worker in
                let result = work(worker)
                let done = collected.withLock { results -> [T]? in
                    results.append(result)
                    return results.count == workers.count ? results : nil
                }
                if let done { cell.worker.complete(cell, token: token, .custom(done)) }
            }
        }
        return lua.yieldToScheduler()
    }

    /// `system.memory.stats()`: Wippy's (Go's) field names, filled with what this runtime has:
    ///
    /// - `alloc`, `heap_alloc`, `heap_in_use`, `lua_bytes`: bytes the Lua heaps of all workers hold now;
    /// - `total_alloc`: the highest each worker's heap ever reached, summed (a lower bound of the cumulative
    ///   allocation, which is not counted);
    /// - `sys`, `rss`: resident set of the whole program (/proc/self/statm);
    /// - `heap_sys`: address space the Lua heaps occupy (mapped slabs, or the bytes in use if more);
    ///   `heap_idle` = `heap_sys - heap_in_use`; `heap_released`: 0 (free pages are returned by
    ///   `gc.collect`, not counted);
    /// - `heap_objects`: 0 (Lua does not count its objects);
    /// - `stack_sys`, `stack_in_use`: stack reserved for the worker threads (Lua coroutine stacks are in the
    ///   Lua heaps);
    /// - `mspan_sys`: slabs of the small-object heaps; `mspan_in_use`: the part of them in use at most;
    /// - `num_gc`: collection cycles completed on all workers; `next_gc`: where the next full collections
    ///   are due (what the last cycles left grown by the collector percent, capped by the memory limit);
    /// - `limit`: the soft memory limit (-1 = none);
    /// - `process_limit`: the per-process limit of the caller's host (`host.process_memory_limit`; -1 = none).
    static let memoryStats: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let runtime = LuaWorkerState.of(lua).runtime
        let processLimit = Int64(LuaWorkerState.of(lua).memorySettings.processLimit ?? -1)
        return onEveryWorker(lua, { worker in
            (worker.local as? LuaWorkerState)?.memoryFigures ?? WorkerMemoryFigures()
        }, finish: { figures, thread in
            let heap = figures.reduce(0) { $0 + $1.heapBytes }
            let mapped = figures.reduce(0) { $0 + $1.mappedBytes }
            let heapSys = figures.reduce(0) { $0 + max($1.mappedBytes, $1.heapBytes) }
            let rss = Int64(residentBytes())
            let stack = Int64(runtime.allWorkers.count) * Int64(threadStackSize())
            let percent = runtime.gcPercent
            let limit = runtime.memoryLimit
            var next = percent < 0 ? 0 : figures.reduce(0) { $0 + max($1.bytesAfterLastCollection, 1 << 20) * (100 + percent) / 100 }
            if limit > 0 { next = next == 0 ? limit : min(next, limit) }
            let fields: [(String, Int64)] = [
                ("alloc", heap), ("total_alloc", figures.reduce(0) { $0 + $1.peakBytes }), ("sys", rss),
                ("heap_alloc", heap), ("heap_sys", heapSys), ("heap_idle", heapSys - heap), ("heap_in_use", heap),
                ("heap_released", 0), ("heap_objects", 0), ("stack_in_use", stack), ("stack_sys", stack),
                ("mspan_in_use", min(mapped, heap)), ("mspan_sys", mapped),
                ("num_gc", figures.reduce(0) { $0 + $1.collections }), ("next_gc", next),
                ("rss", rss), ("lua_bytes", heap), ("limit", limit), ("process_limit", processLimit),
            ]
            thread.newTable(arrayCapacity: 0, fieldCapacity: Int32(fields.count))
            for (key, value) in fields {
                thread.push(value)
                thread.rawSet(-2, key: key)
            }
            return 1
        })
    }

    /// `system.memory.process()`: the calling process's memory as its limit counts it: `{pid, entry, bytes,
    /// mailbox, limit}` (`bytes`: its Lua objects, live or not yet collected, plus `mailbox`, the estimated
    /// bytes of what waits in its mailbox; `limit`: -1 for none). Its own figures only: no other process's
    /// state is read from here.
    static let processMemory: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let task = LuaTask.current(lua) else { return lua.raise("system.memory.process needs a running process") }
        let usage = task.process.memoryUsage
        let fields: [(String, Int64)] = [
            ("bytes", Int64(usage.bytes)), ("mailbox", Int64(usage.mailboxBytes)), ("limit", Int64(usage.limit ?? -1)),
        ]
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(fields.count + 2))
        lua.push(usage.pid.description)
        lua.rawSet(-2, key: "pid")
        lua.push(usage.entry.description)
        lua.rawSet(-2, key: "entry")
        for (key, value) in fields {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
        return 1
    }

    /// `system.memory.allocated()`: Lua bytes of all workers, as last published (this worker's is fresh).
    static let allocated: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        worker.worker.publishedBytes.store(worker.state.allocatedBytes, ordering: .relaxed)
        lua.push(worker.runtime.luaBytesEstimate)
        return 1
    }

    /// `system.memory.heap_objects()`: 0 — Lua does not count its objects.
    static let heapObjects: LuaNativeFunction = { state in
        Lua(state!).push(Int64(0))
        return 1
    }

    /// `system.memory.set_limit(bytes)`: the previous limit; a negative value removes the limit. Every worker
    /// then checks its heap against the new limit.
    static let setLimit: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 1) == .number, let number = lua.number(at: 1), number.isFinite else {
            return worker.fail(WippyError("limit must be a number of bytes", kind: .invalid, retryable: false), on: lua)
        }
        let previous = worker.runtime.setMemoryLimit(number < 0 ? -1 : Int64(min(number, 9.0e18)))
        for other in worker.runtime.allWorkers {
            other.perform { other in (other.local as? LuaWorkerState)?.checkMemoryLimit() }
        }
        lua.push(previous)
        return 1
    }

    static let getLimit: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(LuaWorkerState.of(lua).runtime.memoryLimit)
        return 1
    }

    /// `system.gc.collect()` → `true`: a full collection on every worker (each on its own thread), then free
    /// heap pages returned to the OS; the calling task waits until all are done.
    static let collect: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return onEveryWorker(lua, { worker in
            (worker.local as? LuaWorkerState)?.collectForMemoryLimit()
            return true
        }, finish: { _, thread in
            _ = releaseFreeHeap(0)
            JemallocControl.purge()
            thread.push(true)
            return 1
        })
    }

    /// `system.gc.set_percent(p)`: the previous percent. Each worker's next full collection runs when its heap
    /// has grown `p` percent past what the last one left (10...1000); a negative `p` ("off") is the slowest pace
    /// Lua allows, the memory limit still collecting above it.
    static let setPercent: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard let percent = lua.integer(at: 1) ?? lua.number(at: 1).flatMap({ $0.isFinite ? Int64($0) : nil }) else {
            return worker.fail(WippyError("percent must be a number", kind: .invalid, retryable: false), on: lua)
        }
        lua.push(worker.runtime.setGCPercent(percent))
        return 1
    }

    static let getPercent: LuaNativeFunction = { state in
        let lua = Lua(state!)
        lua.push(LuaWorkerState.of(lua).runtime.gcPercent)
        return 1
    }

    /// Resident set size of this program, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let file = fopen("/proc/self/statm", "r") else { return 0 }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, 128, file) != nil else { return 0 }
        let fields = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let resident = Int(fields[1]) else { return 0 }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The stack size new threads get by default (what the workers were made with): the stack limit, or 8 MiB
    /// when it is unlimited.
    static func threadStackSize() -> Int {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        guard getrlimit(RLIMIT_STACK_VALUE, &limit) == 0, limit.rlim_cur != rlim_t.max else { return 8 << 20 }
        return Int(limit.rlim_cur)
    }
}

/// glibc's `malloc_trim` (declared in <malloc.h>, which the Glibc module does not export): returns free heap
/// pages to the OS.
private let RLIMIT_STACK_VALUE = __rlimit_resource_t(RLIMIT_STACK.rawValue)

@_silgen_name("malloc_trim")
private func releaseFreeHeap(_ pad: Int) -> Int32

/// jemalloc's control interface, when jemalloc is the program's allocator (the `wippy` binary links it:
/// Package.swift), found at run time so that programs on glibc's malloc (the test bundles) need no jemalloc.
enum JemallocControl {
    private typealias Control = @convention(c) (
        UnsafePointer<CChar>?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?, UnsafeMutableRawPointer?, Int
    ) -> Int32

    private static let control: Control? = {
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, "mallctl") else { return nil }
        return unsafeBitCast(symbol, to: Control.self)
    }()

    /// Returns every arena's unused dirty pages to the OS now (what `malloc_trim` does for glibc's heap),
    /// rather than after jemalloc's decay time. `4096` is `MALLCTL_ARENAS_ALL`.
    static func purge() {
        _ = control?("arena.4096.purge", nil, nil, nil, 0)
    }
}
