import WippyModules
import WippyRuntime

/// The built-in Lua modules the CLI offers to entries.
enum ModuleCatalog {
    static func modules(arguments: [String]) -> [any LuaModule] {
        StandardModules.all(terminal: TerminalDevice(arguments: arguments))
    }
}
