public import WippyCore
public import WippyResources

/// A `db.sql.sqlite` entry: a database file (or `:memory:`), with one connection in WAL mode.
///
/// ```yaml
/// - name: cache
///   kind: db.sql.sqlite
///   file: ./data/cache.db        # relative to the project root; or ":memory:"
///   pool: {max_lifetime: 1h}     # max_open / max_idle are accepted and ignored (always 1)
///   options: {cache: shared}     # accepted and ignored, as in Wippy
///   lifecycle: {auto_start: true}
/// ```
public struct SQLiteDatabaseConfig: Sendable, Equatable {
    /// `file` as written (placeholders expanded).
    public var file: String
    /// The absolute, cleaned path of the file; nil for `:memory:`.
    public var path: String?
    public var maxLifetime: Duration
    /// `options`, kept for tools; the database ignores them (Wippy does the same).
    public var options: [String: String]
    public var lifecycle: LifecycleConfig

    public static let memory = ":memory:"

    public var isMemory: Bool { path == nil }

    public init(
        file: String, projectRoot: String, maxLifetime: Duration = DatabasePoolConfig.defaultMaxLifetime,
        options: [String: String] = [:], lifecycle: LifecycleConfig = LifecycleConfig()
    ) {
        self.file = file
        self.path = file == SQLiteDatabaseConfig.memory ? nil : SQLiteDatabaseConfig.resolve(file, projectRoot: projectRoot)
        self.maxLifetime = maxLifetime
        self.options = options
        self.lifecycle = lifecycle
    }

    /// Decodes a `db.sql.sqlite` entry.
    ///
    /// - Throws: `Invalid` naming the field: no `file`, a setting of the wrong type, an unknown setting.
    public init(entry: Entry, projectRoot: String, environment: EnvironmentLookup = .process) throws(WippyError) {
        let fields = try ConfigFields(
            entry.data, path: "", allowed: ["file", "pool", "options", "lifecycle"], environment: environment)
        guard let file = try fields.string("file"), !file.isEmpty else {
            throw fields.missing("file", "a path relative to the project root, or \":memory:\"")
        }
        let pool = try DatabasePoolConfig.decode(fields.value("pool"), environment: environment)
        self.init(
            file: file, projectRoot: projectRoot, maxLifetime: pool.maxLifetime, options: try fields.textMap("options"),
            lifecycle: try LifecycleConfig(payload: fields.value("lifecycle"), entry: entry.id))
    }

    /// `file` made absolute against `projectRoot`.
    static func resolve(_ file: String, projectRoot: String) -> String {
        // `file:` URIs as Go's driver takes them: the path is what follows, up to any `?` parameters.
        var path = file
        if path.hasPrefix("file:") {
            path = String(path.dropFirst(5))
            if let query = path.firstIndex(of: "?") { path = String(path[..<query]) }
        }
        return ProjectPath.join(ProjectPath.absolute(projectRoot.isEmpty ? "." : projectRoot), path)
    }
}
