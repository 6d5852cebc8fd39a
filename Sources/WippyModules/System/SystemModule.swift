public import WippyLua
public import WippyRuntime

/// `system` (spec lua-api-io §8.6): memory, collector, runtime and process facts, and runtime control.
///
/// - `system.memory.stats()` → every field Wippy reports (`alloc`, `total_alloc`, `sys`, `heap_alloc`, `heap_sys`,
///   `heap_idle`, `heap_in_use`, `heap_released`, `heap_objects`, `stack_in_use`, `stack_sys`, `mspan_in_use`,
///   `mspan_sys`, `num_gc`, `next_gc`), synthesised from the workers' Lua heaps (asked on their own threads) and
///   /proc, plus `rss`, `lua_bytes` and `limit`; see ``SystemNatives/memoryStats``.
/// - `system.memory.allocated()`, `heap_objects()`, `set_limit(bytes)` / `get_limit()` (the runtime-wide soft
///   limit on the Lua heaps; -1 = none; default 1 GiB, `wippy run -m` sets it).
/// - `system.memory.process()`: the caller's own figures under its per-process limit (`host.process_memory_limit`,
///   or the `memory_limit` option of `process.with_options`).
/// - `system.gc.collect()`, `set_percent(p)` / `get_percent()` (applied to every worker through its inbox).
/// - `system.runtime.goroutines()` (live processes), `max_procs(n?)`, `cpu_count()`.
/// - `system.process.pid()`, `hostname()`, `cwd()`; `system.exit(code?)`.
/// - `system.supervisor.state(id)`, `states()`; `system.raft.*` → `nil, err` (no cluster: "raft not available").
///
/// Permissions are not modelled yet: every call is allowed.
public struct SystemModule: LuaModule {
    public let name = "system"
    public let classes: Set<ModuleClass> = [.io]

    public init() {}

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable()
        let table = lua.top
        func group(_ name: String, _ functions: [(String, LuaNativeFunction)]) {
            lua.newTable()
            for (key, native) in functions {
                lua.push(native: native)
                lua.rawSet(-2, key: key)
            }
            state.makeReadOnly()
            lua.rawSet(table, key: name)
        }
        group("memory", [
            ("stats", SystemNatives.memoryStats), ("allocated", SystemNatives.allocated),
            ("heap_objects", SystemNatives.heapObjects), ("set_limit", SystemNatives.setLimit),
            ("get_limit", SystemNatives.getLimit), ("process", SystemNatives.processMemory),
        ])
        group("gc", [
            ("collect", SystemNatives.collect), ("set_percent", SystemNatives.setPercent),
            ("get_percent", SystemNatives.getPercent),
        ])
        group("runtime", [
            ("goroutines", SystemNatives.processes), ("max_procs", SystemNatives.maxProcs),
            ("cpu_count", SystemNatives.cpuCount),
        ])
        group("process", [("pid", SystemNatives.osPID), ("hostname", SystemNatives.hostname), ("cwd", SystemNatives.cwd)])
        group("supervisor", [("state", SystemNatives.supervisorState), ("states", SystemNatives.supervisorStates)])
        group("raft", ["is_leader", "is_member", "role", "term", "commit_index", "stats"].map { ($0, SystemNatives.noRaft) })
        lua.push(native: SystemNatives.exit)
        lua.rawSet(table, key: "exit")
    }
}
