import WippyCore
import WippyResources

/// The configuration of a `store.memory` or `store.sql` entry (lua-api-io §7.2).
enum StoreConfig: Sendable, Equatable {
    case memory(maxSize: Int, cleanupInterval: Duration, lifecycle: LifecycleConfig)
    case sql(database: EntryID, layout: SQLKeyValueStore.Layout, cleanupInterval: Duration, lifecycle: LifecycleConfig)

    static let kinds: Set<String> = ["store.memory", "store.sql"]
    /// Wippy store kinds this runtime refuses by name (they need a cluster).
    static let unsupportedKinds: Set<String> = ["store.kv.raft", "store.kv.crdt"]

    var lifecycle: LifecycleConfig {
        switch self {
        case .memory(_, _, let lifecycle), .sql(_, _, _, let lifecycle): lifecycle
        }
    }

    /// Decodes `entry`; `store.sql` must name an existing `db.sql.*` entry (`database(id)` returns its kind).
    static func decode(
        _ entry: Entry, environment: EnvironmentLookup, databaseKind: (EntryID) -> String?
    ) throws(WippyError) -> StoreConfig {
        if unsupportedKinds.contains(entry.kind) {
            throw WippyError.invalid("kind '\(entry.kind)' is not supported by this runtime: use store.memory or store.sql")
        }
        var lifecycle = try LifecycleConfig.resource(entry)
        switch entry.kind {
        case "store.memory":
            let fields = try ConfigFields(
                entry.data, path: "", allowed: ["max_size", "cleanup_interval", "lifecycle"], environment: environment)
            let size = try fields.count("max_size") ?? 0
            let interval = try fields.duration("cleanup_interval") ?? .seconds(300)
            return .memory(maxSize: size > 0 ? size : MemoryKeyValueStore.defaultMaxSize, cleanupInterval: interval, lifecycle: lifecycle)
        default:
            let fields = try ConfigFields(
                entry.data, path: "",
                allowed: ["database", "table_name", "id_column_name", "payload_column_name", "expire_column_name", "cleanup_interval", "lifecycle"],
                environment: environment)
            guard let database = try fields.entryID("database", in: entry.id.namespace) else {
                throw fields.missing("database", "a db.sql.sqlite or db.sql.postgres entry ID")
            }
            guard let kind = databaseKind(database) else { throw WippyError.notFound("'database': entry \(database) does not exist") }
            guard kind == "db.sql.sqlite" || kind == "db.sql.postgres" else {
                throw WippyError.invalid("'database': \(database) is a \(kind) entry, not db.sql.sqlite or db.sql.postgres")
            }
            guard let table = try fields.string("table_name"), !table.isEmpty else {
                throw fields.missing("table_name", "the table holding the keys; create it yourself")
            }
            let layout = SQLKeyValueStore.Layout(
                table: table, keyColumn: try fields.string("id_column_name") ?? "key",
                valueColumn: try fields.string("payload_column_name") ?? "value",
                expiresColumn: try fields.string("expire_column_name") ?? "expires_at")
            try layout.validate()
            if !lifecycle.requires.contains(database) { lifecycle.requires.append(database) }
            return .sql(database: database, layout: layout, cleanupInterval: try fields.duration("cleanup_interval") ?? .zero, lifecycle: lifecycle)
        }
    }
}

extension LifecycleConfig {
    /// The lifecycle of a resource entry (`store.*`, `queue.*`): as written, but starting with the
    /// application unless it says `auto_start: false` (a resource nobody starts would fail every use).
    static func resource(_ entry: Entry) throws(WippyError) -> LifecycleConfig {
        var lifecycle = try LifecycleConfig(payload: entry.data["lifecycle"], entry: entry.id)
        if entry.data["lifecycle"]?["auto_start"] == nil { lifecycle.autoStart = true }
        return lifecycle
    }
}
