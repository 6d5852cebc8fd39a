import WippyModules
import WippyRuntime

/// The built-in Lua modules the CLI offers to entries, each with its classes (``WippyRuntime/LuaModule/classes``,
/// listed in ``WippyModules/StandardModules``): `workflow.lua` entries may list only deterministic and workflow
/// modules.
enum ModuleCatalog {
    static func modules(arguments: [String]) -> [any LuaModule] {
        StandardModules.all(terminal: TerminalDevice(arguments: arguments))
    }
}
