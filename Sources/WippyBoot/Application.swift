public import Logging
public import WippyCore
public import WippyRuntime
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

    public init() {}
}

/// A booted Wippy application: the node, the Lua runtime, the supervised hosts and services, built from the
/// project's entries. The composition root: it is the only place where entry kinds meet their implementations.
public final class Application: Sendable {
    public let options: RuntimeOptions
    public let node: Node
    public let runtime: LuaRuntime
    public let supervisor: Supervisor
    public let logger: Logger
    /// Every entry of the project, sorted by ID.
    public let entries: [Entry]
    let hosts: [EntryID: HostService]
    let terminalHosts: [EntryID]
    let services: [EntryID: ProcessService]
    let shutdownRequested = Mutex(false)
    /// Signalled whenever something a waiting `run`/`exec` cares about happens.
    let wakeUp = DispatchSemaphore(value: 0)

    /// Loads the project, compiles every Lua entry and builds hosts and services (nothing runs yet).
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
        entries = project.entries
        node = Node(name: options.nodeName)
        runtime = LuaRuntime(node: node, modules: modules, logger: logger)
        let log = logger
        supervisor = Supervisor(timer: DispatchSupervisorTimer()) { change in
            Application.logStatus(change, logger: log)
        }

        var builder = ApplicationBuilder(runtime: runtime, supervisor: supervisor)
        try builder.build(entries)
        hosts = builder.hosts
        terminalHosts = builder.terminalHosts
        services = builder.services
    }

    /// Starts every `auto_start` host and service, dependencies first.
    public func start() {
        for (id, _) in hosts.sorted(by: { $0.key < $1.key }) where supervisor.lifecycle(of: id)?.autoStart == true {
            supervisor.start(id)
        }
        for (id, service) in services.sorted(by: { $0.key < $1.key }) where supervisor.lifecycle(of: id)?.autoStart == true {
            for dependency in dependencies(of: id, service: service) { supervisor.start(dependency) }
            supervisor.start(id)
        }
    }

    /// Hosts and required services a service needs running first.
    func dependencies(of id: EntryID, service: ProcessService) -> [EntryID] {
        var result = supervisor.lifecycle(of: id)?.requires ?? []
        result.append(EntryID(parsing: service.hostID))
        return result
    }

    /// Stops services, then hosts, each group in reverse order, within the shutdown timeout.
    public func shutdown() {
        let serviceIDs = services.keys.sorted().reversed()
        for id in serviceIDs { supervisor.stop(id) }
        supervisor.waitUntilInactive(Array(serviceIDs), timeout: options.shutdownTimeout)
        for id in hosts.keys.sorted().reversed() where supervisor.status(of: id) == .running {
            supervisor.stop(id)
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
        var metadata: Logger.Metadata = [:]
        if !change.details.isEmpty { metadata["details"] = .string(change.details) }
        if change.retryCount > 0 { metadata["retry_count"] = .stringConvertible(change.retryCount) }
        let message: Logger.Message = "service \(change.id) is \(change.status.rawValue)"
        switch change.status {
        case .failed: logger.error(message, metadata: metadata)
        case .starting, .stopping: logger.debug(message, metadata: metadata)
        default: logger.info(message, metadata: metadata)
        }
    }
}
