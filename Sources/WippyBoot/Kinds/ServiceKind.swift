import HashTreeCollections
import Synchronization
import WippyCore
import WippyRuntime

/// The registry handler of `process.service`: checks that the process and host it names exist, and at
/// commit registers new services with the supervisor (starting `auto_start` ones once the application
/// runs), stops and forgets removed ones, and restarts gracefully (CANCEL, then terminate after
/// `stop_timeout`) a running service whose entry changed or whose process code changed. Services that did
/// not change are not touched.
final class ServiceKind: RegistryParticipant, @unchecked Sendable {
    struct Config {
        var processID: EntryID
        var hostID: EntryID
        var input: [Payload]
        var lifecycle: LifecycleConfig
    }

    let runtime: LuaRuntime
    let supervisor: Supervisor
    let code: LuaCodeKind
    private let finder = ServiceDependencyFinder()
    /// What the service graph was last computed from (see ``GraphWatch``): other changes leave it as it is.
    private var graphWatch = GraphWatch()
    /// Whether the running transaction can change the service graph (worked out in `finish`).
    private var graphMayChange = false
    private let live = Mutex<[EntryID: Config]>([:])
    /// True once the application started: new `auto_start` services start at commit.
    private let running = Atomic<Bool>(false)
    // Staged by the running transaction.
    private var staged: [EntryID: Config] = [:]
    private var removed: Set<EntryID> = []

    init(runtime: LuaRuntime, supervisor: Supervisor, code: LuaCodeKind) {
        self.runtime = runtime
        self.supervisor = supervisor
        self.code = code
    }

    func handles(kind: String) -> Bool { kind == "process.service" }

    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {
        switch change.kind {
        case .create, .update:
            staged[change.id] = try ServiceKind.config(of: change.entry, in: transaction)
            removed.remove(change.id)
        case .delete:
            staged[change.id] = nil
            removed.insert(change.id)
        }
    }

    /// Every service still finds its process and host once the whole changeset is in (checked when the
    /// changeset touches services, processes or hosts: nothing else can break them).
    func finish(_ transaction: RegistryTransaction) throws(WippyError) {
        let relevant = transaction.applied.contains { change in
            ServiceKind.validationKinds.contains(change.entry.kind)
                || change.original.map { ServiceKind.validationKinds.contains($0.kind) } ?? false
        }
        if relevant {
            for (id, entry) in transaction.working where entry.kind == "process.service" {
                do {
                    _ = try ServiceKind.config(of: entry, in: transaction)
                } catch {
                    let place = entry.origin.map { "\($0): " } ?? ""
                    throw WippyError("\(place)entry \(id): \(error.message)", kind: .invalid, retryable: false)
                }
            }
        }
        graphMayChange = !staged.isEmpty || !removed.isEmpty || transaction.applied.contains { change in
            graphWatch.covers(change.id) || ServiceKind.resourceKinds.contains(change.entry.kind)
                || change.original.map { ServiceKind.resourceKinds.contains($0.kind) } ?? false
        }
        if graphMayChange { try checkAcyclic(transaction) }
    }

    /// The services of the state the changeset leads to must not depend on each other in a circle (§6.4: a
    /// cycle is a commit error), or none of them could start.
    private func checkAcyclic(_ transaction: RegistryTransaction) throws(WippyError) {
        var services: [EntryID: [EntryID]] = [:]
        for (id, config) in live.withLock({ $0 }) where !removed.contains(id) { services[id] = config.lifecycle.requires }
        for (id, config) in staged { services[id] = config.lifecycle.requires }
        for (id, entry) in transaction.working where HostKind.kinds.contains(entry.kind) { services[id] = [] }
        let graph = finder.graph(services: services, entries: transaction.working)
        guard let cycle = graph.cycles(among: Set(services.keys)).first, let first = cycle.first else { return }
        let place = transaction.working[first]?.origin.map { "\($0): " } ?? ""
        throw WippyError(
            "\(place)entry \(first): services depend on each other in a cycle: "
                + cycle.map(\.description).joined(separator: " → "),
            kind: .invalid, retryable: false)
    }

    func commit(_ transaction: RegistryTransaction) {
        for id in removed.sorted() {
            live.withLock { _ = $0.removeValue(forKey: id) }
            supervisor.remove(id)
        }
        let autoStart = running.load(ordering: .acquiring)
        var toStart: [EntryID] = []
        for (id, config) in staged.sorted(by: { $0.key < $1.key }) {
            let service = ProcessService(
                id: id, runtime: runtime, process: config.processID, host: config.hostID.description, input: config.input)
            let existed = live.withLock { live -> Bool in
                defer { live[id] = config }
                return live[id] != nil
            }
            if supervisor.install(id, service: service, lifecycle: config.lifecycle, replacing: existed) && autoStart {
                toStart.append(id)
            }
        }
        // Services whose process code changed (directly or through a library) restart with the new code,
        // unless the running process is upgradable: it got `pid.outdated` and upgrades itself.
        let changedCode = code.changedInLastCommit
        if !changedCode.isEmpty {
            for (id, config) in live.withLock({ $0 }) where staged[id] == nil && changedCode.contains(config.processID) {
                if let pid = supervisor.service(id).flatMap({ ($0 as? ProcessService)?.pid }), runtime.isUpgradable(pid) {
                    continue
                }
                supervisor.restart(id)
            }
        }
        staged = [:]
        removed = []
        if graphMayChange { updateGraph(transaction) }
        graphMayChange = false
        supervisor.start(toStart)
    }

    func discard(_ transaction: RegistryTransaction) {
        staged = [:]
        removed = []
        graphMayChange = false
    }

    /// From now on, new `auto_start` services start when they are committed.
    func markRunning() { running.store(true, ordering: .releasing) }

    var serviceIDs: [EntryID] { live.withLock { $0.keys.sorted() } }

    func config(_ id: EntryID) -> Config? { live.withLock { $0[id] } }

    /// Recomputes which supervised entries (hosts and services) depend on which, from the committed state.
    private func updateGraph(_ transaction: RegistryTransaction) {
        let ids = supervisor.serviceIDs
        let services = Dictionary(uniqueKeysWithValues: ids.map { id in (id, supervisor.lifecycle(of: id)?.requires ?? []) })
        supervisor.setGraph(finder.graph(services: services, entries: transaction.working, previous: supervisor.graph))
        graphWatch = GraphWatch(services: ids, requires: services, entries: transaction.working, resolver: finder.resolver)
    }

    /// Supervised resource kinds registered by other handlers: adding or removing one changes the graph.
    static let resourceKinds: Set<String> = StoreConfig.kinds.union(QueueConfig.kinds)

    /// Kinds a service's validity depends on: the service itself, its process, its host.
    static let validationKinds: Set<String> = HostKind.kinds.union(["process.service", "process.lua", "workflow.lua"])

    static func config(of entry: Entry, in transaction: RegistryTransaction) throws(WippyError) -> Config {
        guard let processReference = entry.data["process"]?.stringValue, !processReference.isEmpty else {
            throw WippyError.invalid("process.service needs 'process' (a process.lua entry)")
        }
        let processID = EntryID.resolve(processReference, in: entry.id.namespace)
        guard let process = transaction.entry(processID) else {
            throw WippyError.notFound("process '\(processID)' does not exist")
        }
        guard process.kind == "process.lua" || process.kind == "workflow.lua" else {
            throw WippyError.invalid("'\(processID)' is a \(process.kind) entry, not a process")
        }
        guard let hostReference = entry.data["host"]?.stringValue, !hostReference.isEmpty else {
            throw WippyError.invalid("process.service needs 'host' (a process.host entry ID)")
        }
        let hostID = EntryID.resolve(hostReference, in: entry.id.namespace)
        guard let host = transaction.entry(hostID) else { throw WippyError.notFound("host '\(hostReference)' does not exist") }
        guard HostKind.kinds.contains(host.kind) else {
            throw WippyError.invalid("'\(hostReference)' is a \(host.kind) entry, not a host")
        }
        var input: [Payload] = []
        if let value = entry.data["input"], !value.isNull {
            if let list = value.tableValue, list.fields.isEmpty { input = list.array } else { input = [value] }
        }
        var lifecycle = try LifecycleConfig(payload: entry.data["lifecycle"], entry: entry.id)
        if !lifecycle.requires.contains(hostID) { lifecycle.requires.append(hostID) }
        return Config(processID: processID, hostID: hostID, input: input, lifecycle: lifecycle)
    }
}
