import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import WippyCore
public import WippyStore
public import PostgresNIO

/// The PostgreSQL server the tests use: `WIPPY_TEST_POSTGRES_URL` when set (`make test` starts a throwaway
/// server with `scripts/postgres-test-server.sh` and sets it); otherwise the tests start one themselves
/// through the same script, stopped once this test process ends. When neither works the PostgreSQL tests
/// fail, saying how to run them; they never pass without a server.
public enum PostgresTestServer {
    public static let logger = Logger(label: "wippy.test.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// The server's URL, or why there is none.
    public static let url: Result<String, PostgresServerMissing> = {
        if let url = ProcessInfo.processInfo.environment["WIPPY_TEST_POSTGRES_URL"], !url.isEmpty { return .success(url) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/postgres-test-server.sh").path
        // posix_spawn and waitpid, not Foundation's Process: its exit monitoring needs a Dispatch thread, and
        // the tests that wait here for this one-time start may be holding all of them.
        let output = NSTemporaryDirectory() + "wippy-postgres-start-\(UUID().uuidString).txt"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["/bin/sh", script, "start", "--owner-pid", String(getpid())]
        var argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, &argv, environ)
        guard spawned == 0 else {
            return .failure(PostgresServerMissing(detail: "cannot run \(script): error \(spawned)"))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        for line in printed.split(separator: "\n") where line.hasPrefix("WIPPY_TEST_POSTGRES_URL=") {
            return .success(String(line.dropFirst("WIPPY_TEST_POSTGRES_URL=".count)))
        }
        return .failure(PostgresServerMissing(detail: "\(script) start failed (wait status \(status)): \(printed)"))
    }()

    /// Settings for a new, empty schema of the test database: each test gets its own tables.
    public static func freshSchema() async throws -> PostgresConnectionSettings {
        var settings = try PostgresConnectionSettings(url: try url.get())
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        try await execute(settings, "CREATE SCHEMA \(schema)")
        settings.options["search_path"] = schema
        return settings
    }

    /// Runs `statements` in order on a connection of its own, in the settings' schema.
    public static func execute(_ settings: PostgresConnectionSettings, _ statements: String...) async throws {
        try await withConnection(settings) { connection in
            for statement in statements { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
        }
    }

    /// The first column (text) of the first row of `sql`.
    public static func fetch(_ settings: PostgresConnectionSettings, _ sql: String) async throws -> String? {
        try await withConnection(settings) { connection in
            var first: String?
            for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(String?.self)
            where first == nil {
                first = value
            }
            return first
        }
    }

    public static func withConnection<T: Sendable>(
        _ settings: PostgresConnectionSettings, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: try settings.connectionConfiguration(), id: 1, logger: logger)
        do {
            let value = try await body(connection)
            try await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

public struct PostgresServerMissing: Error, CustomStringConvertible {
    public var detail: String
    public var description: String {
        "the PostgreSQL tests need a server: run them with `make test` (it starts one), or set WIPPY_TEST_POSTGRES_URL="
            + "postgres://user@host:port/database, or install PostgreSQL 15 (apt-get install postgresql-15) so they can "
            + "start one through scripts/postgres-test-server.sh. \(detail)"
    }
}

