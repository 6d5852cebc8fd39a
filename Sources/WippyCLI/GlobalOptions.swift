import ArgumentParser
import Logging
import WippyBoot
import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// Environment variables without Foundation.
enum ProcessInfoLite {
    static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

/// Options every command that boots a project accepts.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Debug logging (also shows logs in command and --exec mode).")
    var verbose = false

    @Flag(name: .shortAndLong, help: "No console logging.")
    var silent = false

    @Option(name: [.customShort("l"), .customLong("lock-file")], help: "Lock file to read.")
    var lockFile = "wippy.lock"

    @Option(name: [.customShort("d"), .customLong("dir")], help: "Project directory.")
    var directory = "."

    @Option(
        help: ArgumentHelp(
            "Where registry history is kept: sqlite (<dir>/.wippy/registry.db; runtime changes survive restarts), "
                + "sqlite:PATH (relative to the project directory), or memory (lost on exit).",
            valueName: "sqlite|sqlite:PATH|memory"))
    var history = "sqlite"

    @Option(
        name: [.customShort("m"), .customLong("memory-limit")],
        help: ArgumentHelp(
            "Soft memory limit on the Lua heaps: bytes or a size such as 512M, 1G (default: GOMEMLIMIT, else 1G).",
            valueName: "size"))
    var memoryLimit: String?

    /// The soft memory limit: the -m value, else GOMEMLIMIT, else 1 GiB.
    func memoryLimitBytes() throws -> Int64 {
        do {
            return try MemorySize.memoryLimit(flag: memoryLimit, environment: ProcessInfoLite.environment("GOMEMLIMIT"))
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// The parsed --history value.
    func historyMode() throws -> RegistryHistoryMode { try GlobalOptions.historyMode(history) }

    /// Parses a --history value (here and in `wippy registry`), or says what is accepted.
    static func historyMode(_ text: String) throws -> RegistryHistoryMode {
        guard let mode = RegistryHistoryMode(argument: text) else {
            throw ValidationError("--history must be sqlite, sqlite:PATH or memory (got \"\(text)\")")
        }
        return mode
    }

    /// A logger for the chosen verbosity; `quietByDefault` (command and --exec mode) silences logs unless
    /// --verbose is given.
    func makeLogger(quietByDefault: Bool) -> Logger {
        let enabled = !silent && (verbose || !quietByDefault)
        let level: Logger.Level = verbose ? .debug : .info
        var logger = Logger(label: "wippy") { label in
            enabled ? ConsoleLogHandler(label: label, level: level) as any LogHandler : SwiftLogNoOpLogHandler()
        }
        logger.logLevel = enabled ? level : .critical
        return logger
    }
}
