public import WippyLua

/// A built-in Lua module (`json`, `time`, `io`, ...) that entries list in `modules:`.
///
/// `load` runs once per worker Lua state, the first time an entry that lists the module is compiled there:
/// it pushes the module value (usually a table of natives) on `lua`. Tables are then made read-only and
/// shared by every process of the worker.
public protocol LuaModule: Sendable {
    var name: String { get }
    func load(into lua: Lua, state: LuaWorkerState)
}
