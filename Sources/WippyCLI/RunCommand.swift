import ArgumentParser
import Dispatch
import Logging
import ServiceLifecycle
import Synchronization
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
            stop everything gracefully (bounded by the shutdown timeout) and exit 0.

              wippy run                     run the application
              wippy run -x app:main a b     also run process entry app:main on the terminal host with \
            arguments "a" and "b"; exit with a code derived from its result
              wippy run hello a b           the same for the entry whose meta.command.name is "hello"
              wippy run list                list the commands

            Exit code of -x and commands: an error prints its message on stderr and exits 1; a returned \
            string is printed on stdout (exit 0); a number from 0 to 255 is the exit code (a fraction is \
            cut: 3.7 exits 3); any other number (negative, above 255, NaN, infinite) exits 1 with a message \
            on stderr, never a wrapped code; true/false exit 0/1; anything else exits 0. Logs are silent in \
            these modes unless -v is given.

            Signals: the first SIGINT/SIGTERM stops gracefully. A run of -x or a command stopped that way \
            exits 128 + the signal number (130 for SIGINT, 143 for SIGTERM), as does any run stopped while \
            booting (loading the project, replaying the registry history); a second signal exits 1 at once.

            Hot reload: while `wippy run` runs the application, it watches the source directory, vendored \
            modules and wippy.lock, and applies saved changes (YAML, Lua, other file:// targets) as one \
            registry changeset: new calls use new code, changed services restart, the rest keeps running. \
            A change with an error is rejected and the running version stays; while a file stays broken, \
            every later save says again that reloads are refused and names it. If the source directory is \
            moved away or removed, the watcher says so and follows it when it comes back. An entry changed \
            at runtime (registry changes from code) keeps its runtime version over a later edit of its file; \
            boot and reload name each such entry, and `wippy registry reset` goes back to the files. \
            --no-watch turns this off; with -x or a command it is off unless --watch is given.

            One runtime per project: `wippy run` holds .wippy/runtime.lock while it runs. A second \
            `wippy run` in the same project refuses to start; -x runs and commands wait for another -x run \
            to finish and refuse while the application runs.

            Memory: each process may hold up to its host's process_memory_limit (a size such as 64M, 0 for \
            none; default a quarter of the machine's memory, 128M to 1G), its mailbox included; a process \
            over it ends alone with "memory limit exceeded" and its monitors and links are told. \
            -m/--memory-limit is the soft limit on all Lua heaps together, past which workers collect.
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
        // Before the signal watcher: Ctrl-C ends a -x run waiting for the lock as it ends any program.
        lockProject(mode: commandMode ? .exec : .serve)
        // From here a signal stops the run, also while booting.
        let signals = SignalWatcher()

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
        let command = target.map { (id: $0, arguments: processArguments) }
        let watch = self.watch ?? !commandMode
        let host = self.host
        // The service group runs on the concurrency pool; this (main) thread waits for its exit code. (An
        // async main would park the main thread in Dispatch, which valgrind cannot follow.)
        let code = Mutex<Int32>(1)
        let done = DispatchSemaphore(value: 0)
        Task {
            let exitCode = await RunCommand.serve(
                app, command: command, host: host, watch: watch, signals: signals, logger: logger)
            code.withLock { $0 = exitCode }
            done.signal()
        }
        done.wait()
        Glibc.exit(code.withLock { $0 })
    }

    /// Runs the application's service group until it stops; returns the exit code.
    private static func serve(
        _ app: Application, command: (id: EntryID, arguments: [String])?, host: String?, watch: Bool, signals: SignalWatcher,
        logger: Logger
    ) async -> Int32 {
        let runtime = RuntimeService(app: app)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: runtime)]
        var ready = [runtime.started]
        if command == nil {
            let control = ControlService(app: app, after: runtime.started)
            services.append(.init(service: control))
            ready.append(control.serving)
        }
        do throws(WippyError) {
            if let metrics = try app.metricsEndpoint() { services.append(.init(service: metrics)) }
        } catch {
            app.shutdown()
            fail(error.message)
        }
        if watch {
            let watcher = WatchService(app: app, after: runtime.started)
            services.append(.init(service: watcher))
            ready.append(watcher.watching)
        }
        let finished = Mutex<Result<ProcessResult, WippyError>?>(nil)
        if let command {
            let hostID: EntryID
            do throws(WippyError) {
                hostID = try app.terminalHost(preferred: host)
            } catch {
                app.shutdown()
                fail(error.message)
            }
            let service = CommandService(
                app: app, entry: command.id, host: hostID, arguments: command.arguments, after: runtime.started
            ) { outcome in
                finished.withLock { $0 = outcome }
                // Printed when the process ends, before the shutdown.
                guard case .success(let result) = outcome else { return }
                let terminal = TerminalOutcome(result)
                if let text = terminal.standardOutput { Output.write(text + "\n", to: 1) }
                if let text = terminal.standardError { Output.write(text + "\n", to: 2) }
            }
            // Its end (the process returned, or could not start) shuts the run down.
            services.append(
                .init(
                    service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup))
        } else {
            let announce = ready
            Task {
                for readiness in announce { guard await readiness.wait() else { return } }
                logger.info("runtime ready")
            }
        }
        let group = app.serviceGroup(services)
        signals.running { Task { await group.triggerGracefulShutdown() } }
        // `system.exit(code)` from Lua: the same graceful shutdown, then that code.
        app.onExitRequest { Task { await group.triggerGracefulShutdown() } }
        var failed = false
        do {
            try await group.run()
        } catch {
            logger.error("shutdown: \(error)")
            failed = true
        }
        if let code = app.requestedExitCode { return code }
        guard command != nil else { return failed ? 1 : 0 }
        switch finished.withLock({ $0 }) {
        case .success(let result)?:
            return TerminalOutcome(result).exitCode
        case .failure(let error)?:
            Output.write("Error: \(error.message)\n", to: 2)
            return 1
        case nil:
            // Shut down before the command ended: by a signal (the group may have seen it first).
            return await signals.firstSignal(within: .seconds(5)).map(SignalWatcher.exitCode(for:)) ?? 1
        }
    }

    /// One runtime per project (``RuntimeLock``): held until the process ends; exits 1 when refused. Where
    /// there is no project (no lock file) nothing is locked or created: the boot says what is missing.
    private func lockProject(mode: RuntimeLock.Mode) {
        let lockFile = global.lockFile.hasPrefix("/") ? global.lockFile : global.directory + "/" + global.lockFile
        guard access(lockFile, F_OK) == 0 else { return }
        let command = (["wippy"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        do {
            let lock = try RuntimeLock.acquire(projectRoot: global.directory, mode: mode, command: command) { holder in
                Output.write("wippy: waiting for the wippy run in this project to finish (\(holder))\n", to: 2)
            }
            lock?.keepUntilExit()
        } catch {
            fail(error.message)
        }
    }

    private func runtimeOptions() throws -> RuntimeOptions {
        var options = RuntimeOptions()
        options.projectRoot = global.directory
        options.lockFile = global.lockFile
        options.historyMode = try global.historyMode()
        options.memoryLimit = try global.memoryLimitBytes()
        return options
    }

    private func boot(logger: Logger, arguments: [String]) throws -> Application {
        let options = try runtimeOptions()
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
