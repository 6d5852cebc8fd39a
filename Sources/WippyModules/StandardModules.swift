public import WippyRuntime

/// The built-in Lua modules of this target, ready to hand to ``WippyRuntime/LuaRuntime``.
///
/// ```swift
/// let terminal = TerminalDevice(arguments: commandLineArguments)   // only when a terminal host exists
/// let runtime = LuaRuntime(node: node, modules: StandardModules.all(terminal: terminal), logger: logger)
/// ```
public enum StandardModules {
    /// `time`, `funcs`, `ctx`, `io`, `logger`, `json`, `uuid`, `base64`, `system`, `registry`, `events`, `env`, `fs`, `exec`,
    /// `store`, `queue`, `http`, `http_client` and `sql`.
    ///
    /// Their classes (``WippyRuntime/LuaModule/classes``; a `workflow.lua` may list only deterministic and
    /// workflow modules, spec durable-cluster-ai.md §1.4):
    ///
    /// | class | modules |
    /// |---|---|
    /// | deterministic | `json`, `base64` |
    /// | workflow | `time`, `funcs`, `ctx`, `uuid` (and `process`, given to every executable entry) |
    /// | io | `io`, `logger`, `system`, `registry`, `events`, `env`, `fs`, `exec`, `store`, `queue`, `http`, `http_client`, `sql`, `metrics` |
    ///
    /// - Parameter terminal: the device `io` reads and writes on a `terminal.host`; `nil` makes every `io`
    ///   call fail with `Unavailable` ("no terminal context").
    public static func all(terminal: TerminalDevice?) -> [any LuaModule] {
        [
            TimeModule(), FuncsModule(), CtxModule(), IOModule(terminal: terminal), LoggerModule(), JSONModule(), UUIDModule(), WorkflowModule(),
            Base64Module(), SystemModule(), RegistryModule(), EventsModule(), EnvModule(), FSModule(), ExecModule(),
            StoreModule(), QueueModule(), HTTPModule(), HTTPClientModule(), WebSocketModule(), MetricsModule(),
            SQLModule(builder: { lua, state in SQLBuilderTable.push(on: lua, state: state, null: -1) }),
        ]
    }
}
