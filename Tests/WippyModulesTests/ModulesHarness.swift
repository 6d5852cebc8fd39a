import Logging
import Synchronization
import WippyCore
import WippyModules
import WippyRuntime

/// A node with one Lua process host (and optionally a terminal host) running the standard modules: install
/// entries from Lua source, run them, read the log records they wrote.
final class ModulesHarness: @unchecked Sendable {
    let node = Node()
    let runtime: LuaRuntime
    let host: ProcessHost
    let terminalHost: ProcessHost?
    let records: LogRecords

    init(workers: Int = 1, terminal: TerminalDevice? = nil, extraModules: [any LuaModule] = [], registry: Registry? = nil) {
        let records = LogRecords()
        self.records = records
        var logger = Logger(label: "modules-test") { _ in RecordingLogHandler(records: records) }
        logger.logLevel = .trace
        runtime = LuaRuntime(
            node: node, modules: StandardModules.all(terminal: terminal) + extraModules, logger: logger, registry: registry)
        host = runtime.makeHost(id: "app:processes", workers: workers)
        node.register(host: host)
        host.start()
        if terminal != nil {
            let terminalHost = runtime.makeHost(id: "app:terminal", workers: 1, terminal: true)
            node.register(host: terminalHost)
            terminalHost.start()
            self.terminalHost = terminalHost
        } else {
            terminalHost = nil
        }
    }

    deinit {
        host.stop(timeout: .seconds(2))
        terminalHost?.stop(timeout: .seconds(2))
    }

    /// Installs an entry from plain Lua 5.4 source.
    @discardableResult
    func install(
        _ id: String, kind: LuaEntryKind = .process, source: String, method: String? = "main", modules: [String] = []
    ) -> LuaProgram {
        let program = LuaProgram(
            entryID: EntryID(parsing: id), kind: kind, translatedSource: Array(source.utf8),
            method: kind == .library ? nil : method, modules: modules, imports: [], sourceFile: nil)
        runtime.install(program)
        return program
    }

    /// Spawns `id` on `host` (default: the process host) and waits for its result.
    func runEntry(_ id: String, _ arguments: [Payload] = [], on host: ProcessHost? = nil) async -> ProcessResult {
        guard let program = runtime.program(EntryID(parsing: id)) else { return .failure(.notFound(id)) }
        let target = host ?? self.host
        return await withCheckedContinuation { continuation in
            let options = SpawnOptions(onExit: { _, result in continuation.resume(returning: result) })
            node.spawn(on: target, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
        }
    }

    /// Spawns `id` on `host` (default: the process host) at once, on the calling thread; the result is awaited
    /// later. Unlike an `async let` of ``runEntry(_:_:on:)``, the spawn does not wait for a free thread of the
    /// shared test pool.
    func startEntry(_ id: String, _ arguments: [Payload] = [], on host: ProcessHost? = nil) -> PendingResult {
        startProcess(id, arguments, on: host).result
    }

    /// ``startEntry(_:_:on:)`` that also gives the process's PID (nil when `id` is not installed), for a
    /// test that sends to it.
    func startProcess(_ id: String, _ arguments: [Payload] = [], on host: ProcessHost? = nil) -> (pid: PID?, result: PendingResult) {
        let pending = PendingResult()
        guard let program = runtime.program(EntryID(parsing: id)) else {
            pending.deliver(.failure(.notFound(id)))
            return (nil, pending)
        }
        let options = SpawnOptions(onExit: { _, result in pending.deliver(result) })
        let pid = node.spawn(on: host ?? self.host, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
        return (pid, pending)
    }

    /// The result of a process started with ``startEntry(_:_:on:)``, delivered once.
    final class PendingResult: Sendable {
        private let state = Mutex<(result: ProcessResult?, waiter: CheckedContinuation<ProcessResult, Never>?)>((nil, nil))

        func deliver(_ result: ProcessResult) {
            let waiter = state.withLock { state -> CheckedContinuation<ProcessResult, Never>? in
                defer { state.waiter = nil }
                if state.waiter == nil { state.result = result }
                return state.waiter
            }
            waiter?.resume(returning: result)
        }

        var value: ProcessResult {
            get async {
                await withCheckedContinuation { continuation in
                    let ready = state.withLock { state -> ProcessResult? in
                        if state.result == nil { state.waiter = continuation }
                        return state.result
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            }
        }
    }

    /// Installs `source` (a chunk returning the entry function or a table with `main`) as `test:main` with
    /// every standard module listed, and runs it.
    func run(_ source: String, _ arguments: [Payload] = [], on host: ProcessHost? = nil) async -> ProcessResult {
        install("test:main", source: source, modules: Self.allModules)
        return await runEntry("test:main", arguments, on: host)
    }

    static let allModules = ["time", "funcs", "io", "logger", "json", "uuid", "base64"]
}

/// One log record as the runtime wrote it.
struct LogRecord: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: Logger.Metadata
}

/// Thread-safe storage for the records a test's runtime writes.
final class LogRecords: Sendable {
    private let storage = Mutex<[LogRecord]>([])

    func append(_ record: LogRecord) { storage.withLock { $0.append(record) } }

    var all: [LogRecord] { storage.withLock { $0 } }

    /// Records whose message is `message`.
    func with(message: String) -> [LogRecord] { all.filter { $0.message == message } }
}

/// A log handler that keeps every record in a ``LogRecords``.
struct RecordingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        records.append(LogRecord(level: event.level, message: "\(event.message)", metadata: merged))
    }
}
