public import Logging
public import WippyCore
public import WippyRuntime
public import WippyResources
import Synchronization
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Where to find the project and how to run it.
public struct RuntimeOptions: Sendable {
    public var projectRoot: String = "."
    public var lockFile: String = "wippy.lock"
    public var nodeName: String = ""
    /// Bound on the whole graceful shutdown.
    public var shutdownTimeout: Duration = .seconds(30)
    /// Where registry history is kept (default: SQLite, `<project>/.wippy/registry.db`).
    public var historyMode: RegistryHistoryMode = .sqlite()
    /// A history to use instead of the one ``historyMode`` names.
    public var history: (any RegistryHistory)?
    /// The runtime-wide soft memory limit on the Lua heaps, in bytes (`-m`; see ``MemorySize``).
    public var memoryLimit: Int64 = LuaRuntime.defaultMemoryLimit

    public init() {}
}

/// A booted Wippy application: the registry and the runtime objects its entries describe — the node, the
/// Lua runtime, supervised hosts and services — kept in step with the registry as it changes. The
/// composition root: the only place where entry kinds meet their implementations.
public final class Application: Sendable {
    public let options: RuntimeOptions
    public let node: Node
    public let bus: EventBus
    public let registry: Registry
    public let runtime: LuaRuntime
    public let supervisor: Supervisor
    public let logger: Logger
    /// The `db.sql.*` entries of the committed registry, by entry ID.
    public let databases = DatabaseCatalog()
    /// The env storages and variables (`env.*` entries), which also resolve every entry's `${env:...}`.
    public let environment = EnvRegistry()
    let code: LuaCodeKind
    let hostKind: HostKind
    let workflowHostKind: WorkflowHostKind
    let serviceKind: ServiceKind
    let storeKind: StoreKind
    let queueKind: QueueKind
    let httpKind: HTTPKind
    /// The `security.policy` and `security.token_store` entries of the committed registry.
    public let security = SecurityCatalog()
    /// The runtime configuration file (`.wippy.yaml`) as far as it is read.
    public let configFile: RuntimeConfigFile
    /// The metrics collector (`prometheus.enabled`), or `nil` when metrics are off.
    public let metrics: MetricsCollector?
    /// The control socket of a running `wippy run` (``serveControl()``).
    let control = Mutex<ControlServer?>(nil)
    /// The exit code Lua asked for with `system.exit` (once it did), and what to call then (the run's
    /// service group shutdown).
    let exitRequest = Mutex<(code: Int32?, onRequest: (@Sendable () -> Void)?)>((nil, nil))

    /// Loads the project, then applies its entries (with recorded history replayed on top) to the registry
    /// as one changeset: every Lua entry compiled, hosts and services built (nothing runs yet).
    ///
    /// - Throws: the first problem found, as one message naming the file and the entry.
    public init(options: RuntimeOptions, modules: [any LuaModule], logger: Logger) throws(WippyError) {
        self.options = options
        self.logger = logger
        let project: LoadedProject
        do {
            project = try ProjectLoader(projectRoot: options.projectRoot, lockFile: options.lockFile).load()
        } catch {
            throw WippyError(error.description, kind: .invalid, retryable: false)
        }
        for note in project.notes { logger.info("\(note)") }
        configFile = try RuntimeConfigFile.load(projectRoot: options.projectRoot)
        metrics = configFile.prometheusEnabled ? MetricsCollector() : nil
        node = Node(name: options.nodeName)
        node.reportUnobservedFailures { [logger] pid, error in logger.warning("process \(pid) crashed: \(error.message)") }
        bus = EventBus()
        registry = Registry(history: try options.makeHistory(), bus: bus)
        let log = logger
        let events = bus
        supervisor = Supervisor(timer: DispatchSupervisorTimer(), observer: { change in
            Application.logStatus(change, logger: log)
            events.send(change.state.event)
        })
        runtime = LuaRuntime(node: node, modules: modules, logger: logger, bus: bus, registry: registry, supervisor: supervisor)
        runtime.setMemoryLimit(options.memoryLimit)
        code = LuaCodeKind(runtime: runtime)
        hostKind = HostKind(runtime: runtime, supervisor: supervisor)
        workflowHostKind = WorkflowHostKind(runtime: runtime, supervisor: supervisor, projectRoot: options.projectRoot, code: code)
        serviceKind = ServiceKind(runtime: runtime, supervisor: supervisor, code: code)
        // Entries reach the kinds with their placeholders expanded by the registry (EnvKind): no second pass.
        storeKind = StoreKind(
            resources: runtime.resources, supervisor: supervisor, databases: databases, environment: environment.lookup.afterExpansion)
        queueKind = QueueKind(runtime: runtime, supervisor: supervisor, environment: environment.lookup.afterExpansion)
        httpKind = HTTPKind(
            runtime: runtime, supervisor: supervisor, environment: environment.lookup.afterExpansion, metrics: metrics, security: security)
        runtime.resources.install(EnvRegistry.tableID, environment)
        if let metrics { runtime.resources.install(MetricsCollector.tableID, metrics) }
        let envKind = EnvKind(registry: environment, projectRoot: options.projectRoot)
        registry.set(expander: envKind)
        // Commit order matters: env and code first, then databases, then hosts, then the services that use them.
        registry.add(participant: envKind)
        registry.add(participant: code)
        registry.add(
            participant: DatabaseKind(
                catalog: databases, supervisor: supervisor, projectRoot: options.projectRoot, environment: environment.lookup.afterExpansion,
                resources: runtime.resources))
        for kind in Application.localResourceKinds(resources: runtime.resources, supervisor: supervisor, projectRoot: options.projectRoot) {
            registry.add(participant: kind)
        }
        registry.add(participant: hostKind)
        registry.add(participant: storeKind)
        registry.add(participant: queueKind)
        registry.add(participant: workflowHostKind)
        registry.add(participant: serviceKind)
        registry.add(participant: SecurityKind(catalog: security))
        registry.add(participant: httpKind)
        registry.add(participant: UnsupportedKinds())
        let report = try registry.boot(baseline: project.entries)
        runtime.setExitHandler { [weak self] code in self?.requestExit(code: code) }
        for conflict in report.conflicts { logger.warning("registry: \(Application.describe(conflict))") }
        if let failure = report.checkpointFailure {
            logger.warning("registry history: no checkpoint saved after replaying \(report.replayed) versions: \(failure.message)")
        }
    }

    /// One line for an entry whose recorded runtime version wins over its changed file at boot.
    static func describe(_ conflict: RegistryConflict) -> String {
        "\(conflict.description); the runtime version wins (history is replayed on top of the files); "
            + "`wippy registry reset \(conflict.id)` discards the runtime change"
    }

    /// Every entry, sorted by ID.
    public var entries: [Entry] { registry.snapshot.sortedEntries }

    /// Starts every `auto_start` host and service, each once its dependencies run (independent ones in
    /// parallel); from then on, `auto_start` services added to the registry start when committed.
    public func start() {
        serviceKind.markRunning()
        storeKind.markRunning()
        queueKind.markRunning()
        httpKind.markRunning()
        supervisor.start(supervisor.serviceIDs.filter { supervisor.lifecycle(of: $0)?.autoStart == true })
    }

    /// Stops every service and host, dependents first, level by level, each bounded by its stop timeout and
    /// the whole by the shutdown timeout; then the blocking pool (work in flight gets what is left of it).
    /// Blocks the caller (``stop()`` is the same for async code).
    public func shutdown() {
        let deadline = ContinuousClock.now + options.shutdownTimeout
        stopControl()
        supervisor.stopAll()
        supervisor.waitUntilInactive(supervisor.serviceIDs, timeout: options.shutdownTimeout)
        saveCheckpoint()
        runtime.shutdown(timeout: max(.zero, deadline - .now))
    }

    /// ``shutdown()`` for async code: waits on events, holding no thread.
    public func stop() async {
        let deadline = ContinuousClock.now + options.shutdownTimeout
        stopControl()
        supervisor.stopAll()
        let left = await supervisor.inactive(supervisor.serviceIDs, timeout: options.shutdownTimeout)
        if !left.isEmpty {
            logger.warning("shutdown timeout (\(options.shutdownTimeout)) passed; still running: \(left.map(\.description).joined(separator: ", "))")
        }
        let remaining = max(.zero, deadline - .now)
        // The checkpoint is written and the pool's threads are joined on a Dispatch thread, not on the
        // concurrency pool.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.saveCheckpoint()
                self.runtime.shutdown(timeout: remaining)
                continuation.resume()
            }
        }
    }

    /// Saves a checkpoint of the registry history, so the next boot starts from this state instead of
    /// replaying the versions recorded since the last one.
    private func saveCheckpoint() {
        do {
            try registry.saveCheckpoint()
        } catch {
            logger.warning("registry history: no checkpoint saved at shutdown: \(error.message)")
        }
    }

    /// Entries that declare `meta.command.name`, sorted by name.
    public var commands: [(name: String, short: String, id: EntryID)] {
        entries.compactMap { entry in
            guard entry.kind.hasPrefix("process."), let command = entry.meta["command"]?.tableValue,
                let name = command["name"]?.stringValue
            else { return nil }
            return (name, command["short"]?.stringValue ?? "", entry.id)
        }.sorted { $0.name < $1.name }
    }

    static func logStatus(_ change: ServiceStateChange, logger: Logger) {
        guard change.statusChanged else { return }
        let state = change.state
        var metadata: Logger.Metadata = [:]
        if !state.details.isEmpty { metadata["details"] = .string(state.details) }
        if state.retryCount > 0 { metadata["retry_count"] = .stringConvertible(state.retryCount) }
        let message: Logger.Message = "service \(state.id) is \(state.status.rawValue)"
        switch state.status {
        case .failed: logger.error(message, metadata: metadata)
        case .starting, .stopping: logger.debug(message, metadata: metadata)
        default: logger.info(message, metadata: metadata)
        }
    }
}

/// Rejects Wippy kinds this runtime does not implement yet, with a clearer message than "unknown kind".
final class UnsupportedKinds: RegistryParticipant {
    static let prefixes = [
        "http.", "db.", "store.", "queue.", "env.", "fs.", "template.", "security.", "contract.", "exec.",
        "network.", "config.", "cloudstorage.", "pg.scope", "function.wasm", "function.wat",
        "process.wasm",
    ]

    func handles(kind: String) -> Bool { UnsupportedKinds.prefixes.contains { kind.hasPrefix($0) } }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        guard change.kind != .delete else { return }
        throw WippyError.invalid("kind '\(change.entry.kind)' is not supported by this runtime yet")
    }

    func commit(_ transaction: RegistryTransaction) {}
}
