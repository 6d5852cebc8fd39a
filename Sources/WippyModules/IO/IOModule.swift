public import WippyLua
public import WippyRuntime

/// The `io` module (lua-api-io §8.2): terminal I/O for the process running on a `terminal.host`.
///
/// Every function except `args` returns `nil, err` (`Unavailable`, "no terminal context") in a process on any
/// other host, or when the runtime was given no ``TerminalDevice``. `read`/`readline` block only the calling
/// task: the device's reader thread does the blocking.
public struct IOModule: LuaModule {
    public let name = "io"
    public let classes: Set<ModuleClass> = [.io]
    /// The terminal's streams and arguments.
    public let terminal: TerminalDevice?

    public init(terminal: TerminalDevice?) {
        self.terminal = terminal
    }

    public func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(IONatives.functions.count))
        // Unretained: this module keeps the device alive, and the runtime keeps the module longer than any worker state.
        let device = terminal.map { Unmanaged.passUnretained($0).toOpaque() }
        for (name, native) in IONatives.functions {
            lua.push(lightUserdata: device)
            lua.push(native: native, upvalues: 1)
            lua.rawSet(-2, key: name)
        }
    }
}
