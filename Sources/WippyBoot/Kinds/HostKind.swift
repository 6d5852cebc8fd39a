import Logging
import Synchronization
import WippyCore
import WippyRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The registry handler of `process.host` and `terminal.host`: creates a host (worker threads, each with a
/// Lua state) for each new entry and hands it to the supervisor, which starts it with `auto_start` or when
/// a service needs it. Removing a host stops it. A running host keeps its workers: an update that changes
/// the worker count is rejected (it needs a restart of the runtime).
final class HostKind: RegistryParticipant, @unchecked Sendable {
    static let kinds: Set<String> = ["process.host", "terminal.host"]

    struct Config: Equatable {
        var workers: Int
        /// What `host.workers` asked for, when the bound cut it down (logged when the host is made).
        var requestedWorkers: Int?
        var terminal: Bool
        var lifecycle: LifecycleConfig
        /// Bytes each process may hold (`host.process_memory_limit`); nil for no limit.
        var processMemoryLimit: Int?
    }

    /// The most worker threads one host gets: four per CPU core, at least 8. A worker is an OS thread with a
    /// Lua state, and a blocking call never holds one, so threads beyond the cores add memory and context
    /// switches, not throughput. Wippy apps written for Go (where a worker is a goroutine) ask for 32 or more
    /// on small machines: they run, on fewer threads.
    static var maxWorkers: Int { max(8, 4 * Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    let runtime: LuaRuntime
    let supervisor: Supervisor
    private let live = Mutex<[EntryID: (service: HostService, config: Config)]>([:])
    // Staged by the running transaction.
    private var staged: [EntryID: Config] = [:]
    private var removed: Set<EntryID> = []

    init(runtime: LuaRuntime, supervisor: Supervisor) {
        self.runtime = runtime
        self.supervisor = supervisor
    }

    func handles(kind: String) -> Bool { HostKind.kinds.contains(kind) }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            let config = try HostKind.config(of: change.entry)
            if change.kind == .update, let current = live.withLock({ $0[change.id]?.config }), current.workers != config.workers {
                throw WippyError.invalid(
                    "host workers cannot change while the runtime runs (\(current.workers) to \(config.workers)); restart wippy")
            }
            staged[change.id] = config
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    func commit(_ transaction: RegistryTransaction) {
        for id in removed.sorted() {
            guard live.withLock({ $0.removeValue(forKey: id) }) != nil else { continue }
            supervisor.remove(id)
            runtime.node.unregister(hostID: id.description)
        }
        for (id, config) in staged.sorted(by: { $0.key < $1.key }) {
            let existing = live.withLock { $0[id] }
            if let existing {
                // same workers: keep the running host; lifecycle changes apply from its next start, a new
                // memory limit to processes started from now on
                live.withLock { $0[id] = (existing.service, config) }
                runtime.memorySettings(host: id.description)?.processLimit = config.processMemoryLimit
                continue
            }
            if let requested = config.requestedWorkers {
                runtime.logger.info(
                    "host \(id): \(requested) workers requested, using \(config.workers) (at most \(HostKind.maxWorkers): 4 per CPU core, at least 8)")
            }
            let host = runtime.makeHost(
                id: id.description, workers: config.workers, terminal: config.terminal,
                processMemoryLimit: config.processMemoryLimit)
            runtime.node.register(host: host)
            let service = HostService(host: host, stopTimeout: config.lifecycle.stopTimeout)
            live.withLock { $0[id] = (service, config) }
            supervisor.register(id, service: service, lifecycle: config.lifecycle)
        }
        staged = [:]
        removed = []
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
    }

    /// IDs of the terminal hosts.
    var terminalHosts: [EntryID] { live.withLock { $0.filter { $0.value.config.terminal }.map(\.key).sorted() } }

    var hostIDs: [EntryID] { live.withLock { $0.keys.sorted() } }

    func isHost(_ id: EntryID) -> Bool { live.withLock { $0[id] != nil } }

    static func config(of entry: Entry) throws(WippyError) -> Config {
        let terminal = entry.kind == "terminal.host"
        var workers = terminal ? 1 : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var requested: Int?
        if !terminal, let configured = entry.data["host"]?["workers"], !configured.isNull {
            guard let count = configured.intValue, count > 0 else {
                throw WippyError.invalid("host.workers must be a positive integer (got \(configured))")
            }
            workers = Int(clamping: count)
            if workers > maxWorkers {
                requested = workers
                workers = maxWorkers
            }
        }
        let lifecycle = try LifecycleConfig(payload: entry.data["lifecycle"], entry: entry.id)
        return Config(
            workers: workers, requestedWorkers: requested, terminal: terminal, lifecycle: lifecycle,
            processMemoryLimit: try processMemoryLimit(entry.data["host"]?["process_memory_limit"]))
    }

    /// `host.process_memory_limit`: a size as `-m` takes it (`64M`, `1G`, `512MiB`, plain bytes), 0 for no
    /// limit; absent, the default (``HostMemorySettings/defaultProcessLimit``).
    static func processMemoryLimit(_ value: Payload?) throws(WippyError) -> Int? {
        guard let value, !value.isNull else { return HostMemorySettings.defaultProcessLimit }
        let bytes = try MemorySize.processLimit(value, name: "host.process_memory_limit")
        return bytes == 0 ? nil : Int(bytes)
    }
}
