public import WippyLua

/// A built-in Lua module (`json`, `time`, `io`, ...) that entries list in `modules:`.
///
/// `load` runs once per worker Lua state, the first time an entry that lists the module is compiled there:
/// it pushes the module value (usually a table of natives) on `lua`. Tables are then made read-only and
/// shared by every process of the worker.
public protocol LuaModule: Sendable {
    var name: String { get }
    /// What kind of module it is (spec durable-cluster-ai.md §1.4): a `workflow.lua` entry may only list
    /// modules with an allowed class (``WorkflowModulePolicy``). None by default: a module that does not say
    /// is refused in workflows.
    var classes: Set<ModuleClass> { get }
    func load(into lua: Lua, state: LuaWorkerState)
}

extension LuaModule {
    public var classes: Set<ModuleClass> { [] }
}

/// The class of a module, checked when a `workflow.lua` entry compiles.
public enum ModuleClass: String, Sendable, CaseIterable, Comparable {
    /// Pure functions of their arguments (`json`, `base64`): the same results on every replay.
    case deterministic
    /// Replay-aware (`time`, `funcs`, `uuid`, `ctx`, `process`, `workflow`): in a workflow run they read the
    /// run's clock and randomness or go through the workflow's commands.
    case workflow
    /// Effects on the world outside (`io`, `logger`, `system`, `registry`, `events`): not replay-safe.
    case io

    public static func < (a: ModuleClass, b: ModuleClass) -> Bool { a.rawValue < b.rawValue }
}
