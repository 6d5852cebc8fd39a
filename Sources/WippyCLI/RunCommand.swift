import ArgumentParser
import Logging
import WippyBoot
import WippyCore
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Boot the application and run it.",
        discussion: """
            Without arguments: start every auto_start host and service and run until SIGINT/SIGTERM, then \
            stop everything gracefully and exit 0.

              wippy run                     run the application
              wippy run -x app:main a b     also run process entry app:main on the terminal host with \
            arguments "a" and "b"; exit with a code derived from its result
              wippy run hello a b           the same for the entry whose meta.command.name is "hello"
              wippy run list                list the commands

            Exit code of -x and commands: an error prints its message on stderr and exits 1; a returned \
            string is printed on stdout (exit 0); a number is the exit code; true/false exit 0/1. Logs are \
            silent in these modes unless -v is given.

            Hot reload: while `wippy run` runs the application, it watches the source directory, vendored \
            modules and wippy.lock, and applies saved changes (YAML, Lua, other file:// targets) as one \
            registry changeset: new calls use new code, changed services restart, the rest keeps running. \
            A change with an error is rejected with one log line and the running version stays. \
            --no-watch turns this off; with -x or a command it is off unless --watch is given.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: [.customShort("x"), .customLong("exec")], help: "Process entry (namespace:name) to run on the terminal host.")
    var exec: String?

    @Option(help: "Host to run --exec or the command on (default: the only terminal.host).")
    var host: String?

    @Flag(inversion: .prefixedNo, help: "Reload saved changes to the project files while running (default: on, off with -x or a command).")
    var watch: Bool?

    @Argument(parsing: .captureForPassthrough, help: "A command name (or `list`), then arguments for the process.")
    var arguments: [String] = []

    func run() throws {
        // Arguments are captured as they are (they belong to the Lua process), so help is checked by hand.
        if arguments.first == "--help" || arguments.first == "-h" { throw CleanExit.helpRequest(RunCommand.self) }
        if arguments.first == "list" && exec == nil { return try listCommands() }
        let commandMode = exec != nil || !arguments.isEmpty
        let logger = global.makeLogger(quietByDefault: commandMode)
        SignalWatcher.blockSignals()

        var processArguments = arguments
        var target: EntryID?
        if let exec {
            guard exec.contains(":"), !exec.hasPrefix(":"), !exec.hasSuffix(":") else {
                throw ValidationError("--exec needs a full entry ID such as app:main (got \"\(exec)\")")
            }
            target = EntryID(parsing: exec)
        }

        let app = try boot(logger: logger, arguments: Array(processArguments.dropFirst(exec == nil ? 1 : 0)))
        if target == nil, let name = arguments.first {
            guard let command = app.commands.first(where: { $0.name == name }) else {
                fail("command \"\(name)\" not found. Use 'wippy run list' to see the commands")
            }
            target = command.id
            processArguments = Array(arguments.dropFirst())
        }
        SignalWatcher.start { app.requestShutdown() }
        app.start()
        let watcher = (watch ?? !commandMode) ? app.watchProjectFiles() : nil
        func shutdown() {
            watcher?.stop()
            app.shutdown()
        }

        guard let target else {
            logger.info("runtime ready")
            app.serveControl()
            app.waitForShutdown()
            shutdown()
            Glibc.exit(app.requestedExitCode ?? 0)
        }
        do {
            let hostID = try app.terminalHost(preferred: host)
            switch try app.exec(target, host: hostID, arguments: processArguments) {
            case .finished(let result):
                let outcome = TerminalOutcome(result)
                if let text = outcome.standardOutput { Output.write(text + "\n", to: 1) }
                if let text = outcome.standardError { Output.write(text + "\n", to: 2) }
                shutdown()
                Glibc.exit(app.requestedExitCode ?? outcome.exitCode)
            case .shutdownRequested:
                shutdown()
                Glibc.exit(app.requestedExitCode ?? 0)
            }
        } catch {
            shutdown()
            fail(error.message)
        }
    }

    private func boot(logger: Logger, arguments: [String]) throws -> Application {
        var options = RuntimeOptions()
        options.projectRoot = global.directory
        options.lockFile = global.lockFile
        options.historyMode = try global.historyMode()
        options.memoryLimit = try global.memoryLimitBytes()
        do {
            return try Application(options: options, modules: ModuleCatalog.modules(arguments: arguments), logger: logger)
        } catch {
            fail(error.message)
        }
    }

    private func listCommands() throws {
        let logger = global.makeLogger(quietByDefault: true)
        let app = try boot(logger: logger, arguments: [])
        let commands = app.commands
        if commands.isEmpty {
            print("No commands found.")
            print("Add one to a process.lua entry:\n  meta:\n    command:\n      name: hello\n      short: Say hello")
            return
        }
        print("Available commands:")
        let width = commands.map(\.name.count).max() ?? 0
        for command in commands {
            let padded = command.name.padding(to: width)
            print("  \(padded)  \(command.short)  (\(command.id))")
        }
        print("Run with: wippy run <command>")
    }
}

/// Prints `Error: message` on stderr and exits 1.
func fail(_ message: String) -> Never {
    Output.write("Error: \(message)\n", to: 2)
    Glibc.exit(1)
}

enum Output {
    static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
