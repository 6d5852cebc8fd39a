import ArgumentParser
import Logging
import WippyBoot

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
