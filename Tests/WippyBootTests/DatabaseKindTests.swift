import Logging
import Testing
import WippyBoot
import WippyCore
import WippyRuntime
import WippyResources

/// `db.sql.sqlite` and `db.sql.postgres` entries (lua-api-io §7.1): decoded with `${env:...}` placeholders
/// and the deprecated `<field>_env` siblings, refused with errors naming file, entry and field, kept in the
/// application's database catalog; `db.sql.mysql` refused by name; a bad update rejected while the
/// running configuration stays.
@Suite struct DatabaseKindTests {
    static let environment = EnvironmentLookup.fixed([
        "DB_HOST": "db.internal", "DB_PORT": "6543", "DB_USER": "app", "DB_PASSWORD": "s3cret", "REGION": "eu",
    ])

    func entry(_ kind: String, _ data: Payload, name: String = "db") -> Entry {
        Entry(id: EntryID(namespace: "app", name: name), kind: kind, data: data)
    }

    func decode(_ kind: String, _ data: Payload) throws(WippyError) -> DatabaseConfig {
        try DatabaseConfig.decode(entry(kind, data), projectRoot: "/srv/project", environment: Self.environment)
    }

    func error(_ kind: String, _ data: Payload) -> String {
        do {
            let config = try decode(kind, data)
            Issue.record("accepted: \(config)")
            return ""
        } catch {
            return error.message
        }
    }

    // MARK: - SQLite

    @Test func sqliteFileIsRelativeToTheProjectRoot() throws {
        let config = try decode(
            "db.sql.sqlite",
            .map([
                ("file", "data/app.db"), ("pool", .map([("max_lifetime", "30m"), ("max_open", 5)])),
                ("options", .map([("cache", "shared"), ("mode", "rwc")])), ("lifecycle", .map([("auto_start", true)])),
            ]))
        guard case .sqlite(let sqlite) = config else { Issue.record("not sqlite: \(config)"); return }
        #expect(sqlite.file == "data/app.db")
        #expect(sqlite.path == "/srv/project/data/app.db")
        #expect(sqlite.maxLifetime == .seconds(1800))
        #expect(sqlite.options == ["cache": "shared", "mode": "rwc"])
        #expect(sqlite.lifecycle.autoStart)
        #expect(!sqlite.isMemory)
    }

    @Test func sqliteMemoryAbsoluteAndPlaceholderFiles() throws {
        guard case .sqlite(let memory) = try decode("db.sql.sqlite", .map([("file", ":memory:")])) else { return }
        #expect(memory.isMemory && memory.path == nil)
        #expect(memory.maxLifetime == .seconds(3600))
        guard case .sqlite(let absolute) = try decode("db.sql.sqlite", .map([("file", "/var/data/../cache.db")])) else { return }
        #expect(absolute.path == "/var/cache.db")
        guard case .sqlite(let placed) = try decode("db.sql.sqlite", .map([("file", "data/${env:REGION}.db")])) else { return }
        #expect(placed.path == "/srv/project/data/eu.db")
    }

    @Test func sqliteRefusals() {
        #expect(error("db.sql.sqlite", .map([])) == "'file' is required (a path relative to the project root, or \":memory:\")")
        #expect(error("db.sql.sqlite", .map([("file", 5)])) == "'file' must be text (got 5)")
        #expect(error("db.sql.sqlite", .map([("file", "a.db"), ("pool", .map([("max_lifetime", "soon")]))])).hasPrefix(
            "'pool.max_lifetime' must be a duration such as \"30s\" or a number of milliseconds: time: invalid duration"))
        #expect(error("db.sql.sqlite", .map([("file", "a.db"), ("pool", "big")])) == "'pool' must be a mapping (got \"big\")")
        #expect(error("db.sql.sqlite", .map([("file", "a.db"), ("fiel", "b.db")])) == "unknown field 'fiel' (known: file, lifecycle, options, pool)")
        #expect(error("db.sql.sqlite", .map([("file", "${env:NOPE}")])).contains("environment variable NOPE is not set"))
    }

    // MARK: - PostgreSQL

    @Test func postgresWithPlaceholdersAndLegacyEnvFields() throws {
        let config = try decode(
            "db.sql.postgres",
            .map([
                ("host", "${env:DB_HOST}"), ("port_env", "DB_PORT"), ("database", "orders-${env:REGION}"),
                ("username_env", "DB_USER"), ("password", "${env:DB_PASSWORD}"),
                ("pool", .map([("max_open", 25), ("max_idle", 5), ("max_lifetime", 60000)])),
                ("options", .map([("sslmode", "disable"), ("connect_timeout", 10)])),
            ]))
        guard case .postgres(let postgres) = config else { Issue.record("not postgres: \(config)"); return }
        #expect(postgres.host == "db.internal")
        #expect(postgres.port == 6543)
        #expect(postgres.database == "orders-eu")
        #expect(postgres.username == "app")
        #expect(postgres.password == "s3cret")
        #expect(postgres.pool == DatabasePoolConfig(maxOpen: 25, maxIdle: 5, maxLifetime: .seconds(60)))
        #expect(postgres.options == ["sslmode": "disable", "connect_timeout": "10"])
        #expect(!postgres.description.contains("s3cret") && postgres.description.contains("password=***"))
    }

    @Test func postgresDefaultsAndPlaceholderDefaults() throws {
        let config = try decode(
            "db.sql.postgres",
            .map([
                ("host", "localhost"), ("port", "${env:NOPE_PORT|5432}"), ("database", "app"), ("username", "u"),
                ("password", "${NOPE_PASSWORD|dev}"),
            ]))
        guard case .postgres(let postgres) = config else { return }
        #expect(postgres.port == 5432)
        #expect(postgres.password == "dev")
        #expect(postgres.pool == DatabasePoolConfig())
        #expect(postgres.pool.maxLifetime == .seconds(3600))
    }

    static let valid: [(String, Payload)] = [
        ("host", "localhost"), ("port", 5432), ("database", "app"), ("username", "u"), ("password", "p"),
    ]

    func postgres(replacing key: String, with value: Payload?, adding extra: [(String, Payload)] = []) -> Payload {
        var fields = Self.valid.filter { $0.0 != key }
        if let value { fields.append((key, value)) }
        return .map(fields + extra)
    }

    @Test func postgresRefusals() {
        #expect(error("db.sql.postgres", postgres(replacing: "host", with: nil)) == "'host' is required (the server's host name or address)")
        #expect(error("db.sql.postgres", postgres(replacing: "password", with: nil)).hasPrefix("'password' is required"))
        #expect(error("db.sql.postgres", postgres(replacing: "port", with: "many")) == "'port' must be a whole number (got \"many\")")
        #expect(error("db.sql.postgres", postgres(replacing: "port", with: 70000)) == "'port' must be a port number between 1 and 65535 (got 70000)")
        #expect(error("db.sql.postgres", postgres(replacing: "port", with: nil)).hasPrefix("'port' is required"))
        #expect(error("db.sql.postgres", postgres(replacing: "host", with: .map([("a", 1)]))) == "'host' must be text (got a mapping)")
        #expect(
            error("db.sql.postgres", postgres(replacing: "password", with: "p", adding: [("password_env", "DB_PASSWORD")]))
                == "give either 'password' or 'password_env' (deprecated), not both")
        #expect(
            error("db.sql.postgres", postgres(replacing: "password", with: nil, adding: [("password_env", "MISSING")]))
                == "'password_env': environment variable MISSING is not set")
        #expect(
            error("db.sql.postgres", postgres(replacing: "password", with: "${env:MISSING}")).hasPrefix(
                "'password': environment variable MISSING is not set"))
        #expect(
            error("db.sql.postgres", postgres(replacing: "x", with: nil, adding: [("pool", .map([("max_open", -1)]))]))
                == "'pool.max_open' must be a whole number of 0 or more (got -1)")
        #expect(
            error("db.sql.postgres", postgres(replacing: "x", with: nil, adding: [("pool", .map([("max_idel", 1)]))]))
                == "unknown field 'pool.max_idel' (known: pool.max_idle, pool.max_lifetime, pool.max_open)")
        #expect(
            error("db.sql.postgres", postgres(replacing: "x", with: nil, adding: [("options", .map([("a", .map([("b", 1)]))]))]))
                == "'options.a' must be text, a number or true/false (got a mapping)")
        #expect(
            error("db.sql.postgres", postgres(replacing: "x", with: nil, adding: [("lifecycle", .map([("auto_start", "yes")]))]))
                .contains("lifecycle.auto_start must be true or false"))
    }

    @Test func mysqlIsRefusedByName() {
        #expect(
            error("db.sql.mysql", postgres(replacing: "x", with: nil))
                == "kind 'db.sql.mysql' is not supported by this runtime: use db.sql.postgres or db.sql.sqlite")
    }

    @Test func placeholders() throws {
        let env = EnvironmentLookup.fixed(["A": "1", "LOW": "x"])
        #expect(try EnvPlaceholders.expand("plain", environment: env) == "plain")
        #expect(try EnvPlaceholders.expand("${env:A}-${env:B|two}", environment: env) == "1-two")
        #expect(try EnvPlaceholders.expand("${A|0}${B|d}", environment: env) == "1d")
        #expect(try EnvPlaceholders.expand("${A} ${low|x} $${env:A} $5", environment: env) == "${A} ${low|x} ${env:A} $5")
        #expect(throws: WippyError.self) { try EnvPlaceholders.expand("${env:B}", environment: env) }
        #expect(throws: WippyError.self) { try EnvPlaceholders.expand("${env:A", environment: env) }
    }

    // MARK: - In the application

    func boot(_ entries: String) throws -> (TemporaryProject, Application) {
        let project = try TemporaryProject()
        try project.writeLock()
        try project.write("src/_index.yaml", "version: \"1.0\"\nnamespace: app\nentries:\n" + entries)
        var options = RuntimeOptions()
        options.projectRoot = project.root
        options.historyMode = .memory
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        do {
            return (project, try Application(options: options, modules: [], logger: logger))
        } catch {
            project.remove()
            throw error
        }
    }

    static let entries = """
          - name: cache
            kind: db.sql.sqlite
            file: ":memory:"
            options: {cache: shared}
          - name: store
            kind: db.sql.sqlite
            file: ./data/store.db
          - name: main
            kind: db.sql.postgres
            host: localhost
            port: 5432
            database: app
            username: app
            password: secret
            pool: {max_open: 10, max_lifetime: 30m}

        """

    @Test func catalogHoldsTheProjectsDatabases() async throws {
        let (project, app) = try boot(Self.entries)
        defer { project.remove() }
        let all = app.databases.all
        #expect(Set(all.keys.map(\.description)) == ["app:cache", "app:store", "app:main"])
        guard case .sqlite(let store) = app.databases.config(EntryID(parsing: "app:store")) else {
            Issue.record("app:store is not a SQLite database")
            return
        }
        #expect(store.path == project.root + "/data/store.db")
        guard case .postgres(let main) = app.databases.config(EntryID(parsing: "app:main")) else {
            Issue.record("app:main is not a PostgreSQL database")
            return
        }
        #expect(main.pool == DatabasePoolConfig(maxOpen: 10, maxIdle: 0, maxLifetime: .seconds(1800)))
        // A database entry is a resource that opens as soon as the registry holds it (the SQLite file with
        // it). Checking that nothing was created raced with that start; the test now waits for it, and stops
        // the application before the project goes (the open could otherwise make `data` again under it).
        let storeID = EntryID(parsing: "app:store")
        await withCheckedContinuation { done in app.runtime.resources.whenStarted(storeID) { done.resume() } }
        #expect(app.runtime.resources.current(storeID) != nil, "\(app.runtime.resources.failure(storeID) ?? "not open")")
        #expect(project.exists("data/store.db"))
        await app.stop()
    }

    @Test(arguments: [
        ("kind: db.sql.postgres\n    host: h\n    port: 5432\n    database: d\n    username: u", "'password' is required"),
        ("kind: db.sql.sqlite\n    file: [a]", "'file' must be text (got a list)"),
        ("kind: db.sql.sqlite\n    file: a.db\n    pool: {max_lifetime: forever}", "'pool.max_lifetime' must be a duration"),
        ("kind: db.sql.mysql\n    host: h", "kind 'db.sql.mysql' is not supported by this runtime"),
    ])
    func badEntryStopsTheBootNamingFileEntryAndField(_ body: String, _ expected: String) throws {
        do {
            let (project, _) = try boot("  - name: bad\n    " + body + "\n")
            project.remove()
            Issue.record("booted with \(body)")
        } catch let error as WippyError {
            #expect(error.message.contains("src/_index.yaml:4: entry app:bad: \(expected)"), "\(error.message)")
        }
    }

    @Test func badUpdateIsRejectedAndTheRunningConfigStays() throws {
        let (project, app) = try boot(Self.entries)
        defer { project.remove() }
        let id = EntryID(parsing: "app:main")
        let before = app.databases.config(id)
        var entry = try #require(app.registry.entry(id))
        entry.data = .map([("host", "other"), ("port", "not a port"), ("database", "d"), ("username", "u"), ("password", "p")])
        #expect {
            try app.registry.apply([.update(entry)])
        } throws: { error in
            (error as? WippyError)?.message.contains("entry app:main: 'port' must be a whole number (got \"not a port\")") == true
        }
        #expect(app.databases.config(id) == before)
        // A good update goes through; a delete removes it.
        entry.data = .map([("host", "other"), ("port", 5433), ("database", "d"), ("username", "u"), ("password", "p")])
        try app.registry.apply([.update(entry)])
        guard case .postgres(let updated) = app.databases.config(id) else {
            Issue.record("app:main lost")
            return
        }
        #expect(updated.host == "other" && updated.port == 5433)
        try app.registry.apply([.delete(id)])
        #expect(app.databases.config(id) == nil)
    }

    @Test func aServiceThatDependsOnADatabaseStarts() async throws {
        let app = try TestApplication(
            index: """
                version: "1.0"
                namespace: app
                entries:
                  - name: db
                    kind: db.sql.sqlite
                    file: ":memory:"
                  - name: processes
                    kind: process.host
                    host: {workers: 1}
                  - name: worker
                    kind: process.lua
                    source: |
                      return { main = function() process.events():receive() end }
                  - name: svc
                    kind: process.service
                    process: worker
                    host: processes
                    lifecycle: {auto_start: true, depends_on: [app:db]}
                """, history: .memory)
        let running = await app.log.wait(for: "service app:svc is running")
        #expect(running != nil, "\(app.log.messages)")
        #expect(app.log.messages.contains("service app:db is running"))
        #expect(!app.log.messages.contains { $0.contains("blocked") })
    }
}
