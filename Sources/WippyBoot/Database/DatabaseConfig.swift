public import WippyCore
public import WippyResources

/// Connection pool settings of a `db.sql.*` entry (`pool:`).
public struct DatabasePoolConfig: Sendable, Equatable {
    /// Most open connections; 0 for no limit.
    public var maxOpen: Int
    /// Most idle connections kept; 0 keeps none.
    public var maxIdle: Int
    /// How long a connection lives before it is replaced.
    public var maxLifetime: Duration

    public static let defaultMaxLifetime: Duration = .seconds(3600)

    public init(maxOpen: Int = 0, maxIdle: Int = 0, maxLifetime: Duration = DatabasePoolConfig.defaultMaxLifetime) {
        self.maxOpen = maxOpen
        self.maxIdle = maxIdle
        self.maxLifetime = maxLifetime
    }

    /// Reads `pool` (`max_open`, `max_idle`, `max_lifetime`); zero or absent values take the defaults, as in
    /// Wippy.
    static func decode(_ payload: Payload?, environment: EnvironmentLookup) throws(WippyError) -> DatabasePoolConfig {
        let fields = try ConfigFields(
            payload, path: "pool", allowed: ["max_open", "max_idle", "max_lifetime"], environment: environment)
        var pool = DatabasePoolConfig()
        pool.maxOpen = try fields.count("max_open") ?? 0
        pool.maxIdle = try fields.count("max_idle") ?? 0
        if let lifetime = try fields.duration("max_lifetime"), lifetime > .zero { pool.maxLifetime = lifetime }
        return pool
    }
}

/// The configuration of one `db.sql.sqlite` or `db.sql.postgres` entry.
public enum DatabaseConfig: Sendable, Equatable {
    case sqlite(SQLiteDatabaseConfig)
    case postgres(PostgresDatabaseConfig)

    /// The entry kinds this runtime reads as databases.
    public static let kinds: Set<String> = ["db.sql.sqlite", "db.sql.postgres"]
    /// Wippy database kinds this runtime refuses by name.
    public static let unsupportedKinds: Set<String> = ["db.sql.mysql", "db.sql.mssql", "db.sql.oracle"]

    /// Decodes `entry` (a `db.sql.sqlite` or `db.sql.postgres` entry).
    ///
    /// - Parameters:
    ///   - projectRoot: the base of a relative SQLite `file`.
    ///   - environment: where `${env:NAME}` and `<field>_env` read.
    /// - Throws: `Invalid` naming the field for a wrong or missing setting, or the kind for one that is not
    ///   supported (`db.sql.mysql`).
    public static func decode(
        _ entry: Entry, projectRoot: String, environment: EnvironmentLookup = .process
    ) throws(WippyError) -> DatabaseConfig {
        switch entry.kind {
        case "db.sql.sqlite": .sqlite(try SQLiteDatabaseConfig(entry: entry, projectRoot: projectRoot, environment: environment))
        case "db.sql.postgres": .postgres(try PostgresDatabaseConfig(entry: entry, environment: environment))
        default: throw unsupported(entry.kind)
        }
    }

    static func unsupported(_ kind: String) -> WippyError {
        WippyError.invalid(
            "kind '\(kind)' is not supported by this runtime: use db.sql.postgres or db.sql.sqlite")
    }

    public var lifecycle: LifecycleConfig {
        switch self {
        case .sqlite(let config): config.lifecycle
        case .postgres(let config): config.lifecycle
        }
    }

    /// The entry kind (`db.sql.sqlite`, `db.sql.postgres`).
    public var kind: String {
        switch self {
        case .sqlite: "db.sql.sqlite"
        case .postgres: "db.sql.postgres"
        }
    }

    /// `sqlite` or `postgres`, as the `sql` module's `sql.type` names them.
    public var typeName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}
