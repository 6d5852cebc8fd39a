/// A lifecycle event delivered to a process on `@pid/events`.
public enum ProcessEvent: Sendable {
    /// A monitored process ended (`pid.exit`).
    case exit(from: PID, result: ProcessResult)
    /// A linked process ended with an error (`pid.link.down`).
    case linkDown(from: PID, result: ProcessResult)
    /// A request to stop gracefully (`pid.cancel`).
    case cancel(from: PID?, reason: String)
    /// The code of the process's entry, or of a library it imports, changed (`pid.outdated`); delivered to
    /// processes that asked for it (`upgradable`). `sources` are the changed entry IDs.
    case outdated(sources: [String])

    /// The event kind string Lua code compares with `process.event.*`.
    public var kind: String {
        switch self {
        case .exit: return "pid.exit"
        case .linkDown: return "pid.link.down"
        case .cancel: return "pid.cancel"
        case .outdated: return "pid.outdated"
        }
    }

    public static let exitKind = "pid.exit"
    public static let linkDownKind = "pid.link.down"
    public static let cancelKind = "pid.cancel"
    public static let outdatedKind = "pid.outdated"
}
