import Logging
import Synchronization
import Logging
import WippyCore
import WippyRuntime

/// A node with one Lua process host for tests: install entries from Lua source, run them, get results.
final class RuntimeHarness: @unchecked Sendable {
    let node = Node()
    let runtime: LuaRuntime
    let host: ProcessHost
    let logs = Mutex<[String]>([])

    init(workers: Int = 2, modules: [any LuaModule] = []) {
        var logger = Logger(label: "test") { _ in CapturingLogHandler() }
        logger.logLevel = .debug
        runtime = LuaRuntime(node: node, modules: modules, logger: logger)
        host = runtime.makeHost(id: "app:processes", workers: workers)
        node.register(host: host)
        host.start()
    }

    deinit { host.stop(timeout: .seconds(2)) }

    /// Installs an entry from plain Lua 5.4 source.
    @discardableResult
    func install(
        _ id: String, kind: LuaEntryKind = .process, source: String, method: String? = "main",
        modules: [String] = [], imports: [(String, String)] = []
    ) -> LuaProgram {
        let entryID = EntryID(parsing: id)
        let program = LuaProgram(
            entryID: entryID, kind: kind, translatedSource: Array(source.utf8),
            method: kind == .library ? nil : method, modules: modules,
            imports: imports.map { ($0.0, EntryID(parsing: $0.1)) }, sourceFile: nil)
        runtime.install(program)
        return program
    }

    /// Spawns `id` and waits for its result.
    func run(_ id: String, _ arguments: [Payload] = []) async -> ProcessResult {
        guard let program = runtime.program(EntryID(parsing: id)) else { return .failure(.notFound(id)) }
        return await withCheckedContinuation { continuation in
            let options = SpawnOptions(onExit: { _, result in continuation.resume(returning: result) })
            node.spawn(on: host, starter: LuaProcessStarter(program: program, arguments: arguments), options: options)
        }
    }

    /// Installs `source` as `test:main` and runs it.
    func run(source: String, modules: [String] = [], _ arguments: [Payload] = []) async -> ProcessResult {
        install("test:main", source: source, modules: modules)
        return await run("test:main", arguments)
    }
}

struct CapturingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {}
}
