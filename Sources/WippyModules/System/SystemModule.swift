public import WippyLua
public import WippyRuntime

/// `system`: memory and collector figures, and the size of the runtime (spec lua-api-io §8.6, a subset).
///
/// - `system.memory.stats()` → `{rss, lua_bytes, heap_alloc, alloc, sys}`: resident set of the whole
///   program, and bytes held by the Lua states of all workers (`heap_alloc`/`alloc` are the same Lua figure,
///   `sys` the resident set, for code written against Wippy's Go names).
/// - `system.memory.allocated()` → Lua bytes.
/// - `system.gc.collect()` → `true`: a full collection on every worker, then unused heap returned to the OS.
/// - `system.runtime.goroutines()` → live processes; `cpu_count()`; `system.process.pid()` → OS pid.
/// - `system.supervisor.states()` → `{ {id, status, desired, retry_count, last_update, started_at, details}, ... }`
///   for every supervised host and service (an empty list when nothing is supervised).
public struct SystemModule: LuaModule {
    public let name = "system"

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
        group("memory", [("stats", SystemNatives.memoryStats), ("allocated", SystemNatives.allocated)])
        group("gc", [("collect", SystemNatives.collect)])
        group("runtime", [("goroutines", SystemNatives.processes), ("cpu_count", SystemNatives.cpuCount)])
        group("process", [("pid", SystemNatives.osPID)])
        group("supervisor", [("states", SystemNatives.supervisorStates)])
    }
}
