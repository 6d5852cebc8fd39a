public import WippyCore
public import WippyResources
public import WippyStore

/// A `db.sql.postgres` entry: where the server is and how to log in.
///
/// ```yaml
/// - name: main_db
///   kind: db.sql.postgres
///   host: ${env:DB_HOST}
///   port: 5432
///   database: app
///   username: app
///   password_env: DB_PASSWORD      # deprecated form of password: ${env:DB_PASSWORD}
///   pool: {max_open: 25, max_idle: 5, max_lifetime: 1h}
///   options: {sslmode: disable}
/// ```
///
/// Every connection field is required, as in Wippy. Its description hides the password.
public struct PostgresDatabaseConfig: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: String
    public var username: String
    public var password: String
    /// Connection parameters (`sslmode`, `application_name`, ...).
    public var options: [String: String]
    public var pool: DatabasePoolConfig
    public var lifecycle: LifecycleConfig

    public init(
        host: String, port: Int = 5432, database: String, username: String, password: String,
        options: [String: String] = [:], pool: DatabasePoolConfig = DatabasePoolConfig(),
        lifecycle: LifecycleConfig = LifecycleConfig()
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.options = options
        self.pool = pool
        self.lifecycle = lifecycle
    }

    static let connectionFields = ["host", "port", "database", "username", "password"]

    /// Decodes a `db.sql.postgres` entry: `${env:NAME}` placeholders and the deprecated `<field>_env`
    /// siblings are resolved through `environment`.
    ///
    /// - Throws: `Invalid` naming the field: a missing connection field, a port outside 1...65535, a setting
    ///   of the wrong type, a variable that is not set, an unknown setting.
    public init(entry: Entry, environment: EnvironmentLookup = .process) throws(WippyError) {
        var allowed: Set<String> = ["pool", "options", "lifecycle"]
        for field in PostgresDatabaseConfig.connectionFields { allowed.formUnion([field, field + "_env"]) }
        let fields = try ConfigFields(entry.data, path: "", allowed: allowed, environment: environment)
        func required(_ key: String, _ what: String) throws(WippyError) -> String {
            guard let value = try fields.stringOrLegacyEnv(key), !value.isEmpty else { throw fields.missing(key, what) }
            return value
        }
        let host = try required("host", "the server's host name or address")
        let port: Int64
        if fields.has("port_env") {
            guard !fields.has("port") else {
                throw WippyError.invalid("give either 'port' or 'port_env' (deprecated), not both")
            }
            let text = try required("port", "the server's port")
            guard let number = Int64(text.trimmedBlanks) else { throw fields.wrong("port", "a whole number", .string(text)) }
            port = number
        } else {
            guard let number = try fields.integer("port") else { throw fields.missing("port", "the server's port, usually 5432") }
            port = number
        }
        guard (1...65535).contains(port) else { throw fields.wrong("port", "a port number between 1 and 65535", .int(port)) }
        self.init(
            host: host, port: Int(port), database: try required("database", "the database name"),
            username: try required("username", "the user to log in as"),
            password: try required("password", "use password: ${env:NAME} to keep it out of the files"),
            options: try fields.textMap("options"),
            pool: try DatabasePoolConfig.decode(fields.value("pool"), environment: environment),
            lifecycle: try LifecycleConfig(payload: fields.value("lifecycle"), entry: entry.id))
    }

    public var description: String {
        let options = self.options.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        return "postgres host=\(host) port=\(port) dbname=\(database) user=\(username) password=***\(options)"
    }
}

extension PostgresDatabaseConfig {
    /// The settings a workflow store connects with.
    public var connectionSettings: PostgresConnectionSettings {
        PostgresConnectionSettings(
            host: host, port: port, database: database, username: username, password: password.isEmpty ? nil : password,
            options: options, maxConnections: pool.maxOpen)
    }
}
