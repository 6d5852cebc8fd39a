public import WippyCore
public import WippyResources

/// A `workflow.host` entry: a process host whose processes are durable workflows, with the store that keeps
/// their journals.
///
/// ```yaml
/// - name: workflows
///   kind: workflow.host
///   store: app:db            # a db.sql.sqlite or db.sql.postgres entry; absent: <project>/.wippy/workflows.db
///   host: {workers: 4}       # as process.host
///   evict_after: 30s         # a run parked this long leaves memory (Go duration or milliseconds)
///   lease: 15s               # PostgreSQL: how long a node owns a run without renewing
///   node: app:workflows      # the node part of workflow PIDs; default: the entry ID
///   lifecycle: {auto_start: true}
/// ```
public struct WorkflowHostConfig: Sendable, Equatable {
    public static let kind = "workflow.host"
    public static let defaultEvictAfter: Duration = .seconds(30)
    public static let defaultLease: Duration = .seconds(15)

    public var id: EntryID
    /// The database entry that holds the store; nil for the embedded default file.
    public var store: EntryID?
    public var workers: Int
    /// What `host.workers` asked for, when the bound cut it down (see `HostKind.maxWorkers`).
    public var requestedWorkers: Int?
    /// Bytes each workflow process may hold (`host.process_memory_limit`); nil for no limit.
    public var processMemoryLimit: Int?
    public var lifecycle: LifecycleConfig
    /// How long a run waits (on a timer or a signal) before it is evicted from memory; zero evicts as soon
    /// as it parks.
    public var evictAfter: Duration
    /// How long a node owns a run on a shared (PostgreSQL) store without renewing its lease.
    public var lease: Duration
    /// The node part of the PIDs of this host's workflows (`{node@host|workflow-id}`).
    public var node: String

    public init(
        id: EntryID, store: EntryID? = nil, workers: Int, requestedWorkers: Int? = nil, processMemoryLimit: Int? = nil,
        lifecycle: LifecycleConfig = LifecycleConfig(), evictAfter: Duration = WorkflowHostConfig.defaultEvictAfter,
        lease: Duration = WorkflowHostConfig.defaultLease, node: String? = nil
    ) {
        self.id = id
        self.store = store
        self.workers = workers
        self.requestedWorkers = requestedWorkers
        self.processMemoryLimit = processMemoryLimit
        self.lifecycle = lifecycle
        self.evictAfter = evictAfter
        self.lease = lease
        self.node = node ?? id.description
    }

    /// Decodes a `workflow.host` entry.
    ///
    /// - Throws: `Invalid` naming the field: an unknown setting, a wrong type, a negative duration, a zero
    ///   lease, an empty node.
    public init(entry: Entry, environment: EnvironmentLookup = .process) throws(WippyError) {
        let fields = try ConfigFields(
            entry.data, path: "", allowed: ["store", "host", "lifecycle", "evict_after", "lease", "node"],
            environment: environment)
        _ = try ConfigFields(
            fields.value("host"), path: "host", allowed: ["workers", "process_memory_limit", "queue_size"],
            environment: environment)
        let host = try HostKind.config(of: entry)
        let lease = try fields.duration("lease") ?? WorkflowHostConfig.defaultLease
        guard lease > .zero else { throw fields.wrong("lease", "a duration longer than zero", fields.value("lease") ?? .int(0)) }
        let node = try fields.string("node")
        if let node, node.isEmpty || node.contains("@") || node.contains("|") {
            throw fields.wrong("node", "a non-empty name without '@' or '|'", .string(node))
        }
        self.init(
            id: entry.id, store: try fields.entryID("store", in: entry.id.namespace), workers: host.workers,
            requestedWorkers: host.requestedWorkers, processMemoryLimit: host.processMemoryLimit, lifecycle: host.lifecycle,
            evictAfter: try fields.duration("evict_after") ?? WorkflowHostConfig.defaultEvictAfter, lease: lease, node: node)
    }

    /// Where this host's runs are kept, found through `entry` (the working state of a registry transaction,
    /// or a snapshot's entries).
    ///
    /// - Throws: `NotFound` when `store` names no entry (a registry transaction retries it once the rest of
    ///   the changeset is in); `Invalid` when it names an entry of another kind, a `:memory:` SQLite
    ///   database (a store must outlive the process), or a database entry whose settings are wrong.
    public func storeLocation(
        projectRoot: String, entry: (EntryID) -> Entry?, environment: EnvironmentLookup = .process
    ) throws(WippyError) -> WorkflowStoreLocation {
        guard let store else { return .embedded(path: WorkflowStoreLocation.defaultPath(projectRoot: projectRoot)) }
        guard let database = entry(store) else {
            throw WippyError.notFound("'store' names \(store), which does not exist (a db.sql.sqlite or db.sql.postgres entry)")
        }
        guard DatabaseConfig.kinds.contains(database.kind) else {
            if DatabaseConfig.unsupportedKinds.contains(database.kind) {
                throw WippyError.invalid("'store' names \(store), a \(database.kind) entry: \(DatabaseConfig.unsupported(database.kind).message)")
            }
            throw WippyError.invalid(
                "'store' names \(store), a \(database.kind) entry; it must be a db.sql.sqlite or db.sql.postgres entry")
        }
        let config: DatabaseConfig
        do {
            config = try DatabaseConfig.decode(database, projectRoot: projectRoot, environment: environment)
        } catch {
            throw WippyError.invalid("'store' names \(store), whose settings are wrong: \(error.message)")
        }
        switch config {
        case .sqlite(let sqlite):
            guard let path = sqlite.path else {
                throw WippyError.invalid(
                    "'store' names \(store), an in-memory SQLite database (file: \":memory:\"); a workflow store must be a file")
            }
            return .sqlite(path: path, database: store)
        case .postgres(let postgres):
            return .postgres(postgres, database: store)
        }
    }
}

/// Where a workflow host keeps its runs.
public enum WorkflowStoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// The default file under the project (no `store`).
    case embedded(path: String)
    /// The file of a `db.sql.sqlite` entry.
    case sqlite(path: String, database: EntryID)
    /// The server of a `db.sql.postgres` entry.
    case postgres(PostgresDatabaseConfig, database: EntryID)

    /// `<projectRoot>/.wippy/workflows.db`, absolute.
    public static func defaultPath(projectRoot: String) -> String {
        ProjectPath.join(ProjectPath.absolute(projectRoot.isEmpty ? "." : projectRoot), ".wippy/workflows.db")
    }

    /// The SQLite file, for the embedded and SQLite cases.
    public var sqlitePath: String? {
        switch self {
        case .embedded(let path), .sqlite(let path, _): path
        case .postgres: nil
        }
    }

    public var description: String {
        switch self {
        case .embedded(let path): "SQLite \(path)"
        case .sqlite(let path, let database): "SQLite \(path) (\(database))"
        case .postgres(let config, let database): "PostgreSQL \(config.host):\(config.port)/\(config.database) (\(database))"
        }
    }
}
