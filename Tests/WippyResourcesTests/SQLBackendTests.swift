import Foundation
import GRDB
import Synchronization
import Testing
import WippyCore
import WippyResources
import WippyStore
import WippyTestSupport

/// Awaits a completion-style call.
func awaiting<Value: Sendable>(_ start: (@escaping SQLCompletion<Value>) -> Void) async -> Result<Value, WippyError> {
    await withCheckedContinuation { continuation in start { continuation.resume(returning: $0) } }
}

/// A path named `name` in a new directory of its own, removed when the test process exits.
func temporaryFile(_ name: String) -> String {
    let directory = TemporaryPaths.unique("wippy-sql-")
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory + "/" + name
}

@Suite struct SQLiteBackendTests {
    /// Opening switches the file to WAL, which needs it alone for a moment: a reader of the file (another
    /// process, or the previous user of a swapped file) holding its shared lock then is waited for. Fails if
    /// the open answers "database is locked" at once (the busy timeout set only after the switch).
    @Test func openingWaitsForAReaderHoldingTheFile() throws {
        let path = temporaryFile("held.db")
        let setup = try DatabaseQueue(path: path)
        try setup.write { try $0.execute(sql: "CREATE TABLE t (x INTEGER)") }
        try setup.close()
        let reader = try DatabaseQueue(path: path)
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let readerDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            try? reader.inDatabase { db in
                // a read transaction in the file's rollback-journal mode keeps its shared lock until it ends
                try db.execute(sql: "BEGIN DEFERRED")
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM t")
                holding.signal()
                release.wait()
                try db.execute(sql: "COMMIT")
            }
            readerDone.signal()
        }
        holding.wait()
        // the reader holds the file for a while (well under the 5 s busy timeout) while the open runs
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) { release.signal() }
        let database = try SQLiteSQLDatabase(path: path, name: "test:held")
        database.close()
        readerDone.wait()
        try reader.close()
    }

    @Test func valuesComeBackTyped() async throws {
        let db = try SQLiteSQLDatabase(path: temporaryFile("types.db"), name: "test:db")
        defer { db.close() }
        _ = try await awaiting { db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, f BOOLEAN, d DATETIME, n TEXT)", [], completion: $0) }.get()
        let result = try await awaiting {
            db.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)",
                [.integer(7), .real(2.5), .text("héllo"), .blob([0, 1, 255]), .bool(true), .text("2024-02-29 23:59:58.25+01:00"), .null],
                completion: $0)
        }.get()
        #expect(result == SQLExecResult(lastInsertID: 1, rowsAffected: 1))
        let rows = try await awaiting { db.query("SELECT * FROM t", [], completion: $0) }.get()
        #expect(rows.columns == ["i", "r", "s", "b", "f", "d", "n"])
        #expect(rows.rows == [[.integer(7), .real(2.5), .text("héllo"), .blob([0, 1, 255]), .bool(true), .text("2024-02-29T22:59:58.25Z"), .null]])
    }

    @Test func readsRunInlineOnlyWhenTheyCannotWait() async throws {
        let db = try SQLiteSQLDatabase(path: temporaryFile("inline.db"), name: "test:db")
        defer { db.close() }
        _ = try await awaiting { db.execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)", [], completion: $0) }.get()
        #expect(try db.queryIfImmediate("SELECT v FROM t", [])?.get().rows == [[.integer(1)]])
        // Writes never run inline.
        #expect(db.queryIfImmediate("INSERT INTO t VALUES (2) RETURNING v", []) == nil)
        // A transaction holds the connection: reads wait for it, in line, not inline.
        let tx = try await awaiting { db.begin(isolation: .default, readOnly: false, completion: $0) }.get()
        #expect(db.queryIfImmediate("SELECT v FROM t", []) == nil)
        _ = try await awaiting { tx.execute("INSERT INTO t VALUES (3)", [], completion: $0) }.get()
        let waiting = Task { await awaiting { db.query("SELECT count(*) AS n FROM t", [], completion: $0) } }
        #expect(db.stats().waitCount == 1 || db.stats().inUse == 1)
        _ = try await awaiting { tx.commit(completion: $0) }.get()
        #expect(try await waiting.value.get().rows == [[.integer(2)]])
        #expect(!tx.isActive)
        #expect(await awaiting { tx.query("SELECT 1", [], completion: $0) }.failure?.message == "transaction is not active")
    }

    @Test func writesRunInlineOnlyWhenTheirCommitCannotWaitForTheDisk() async throws {
        let path = temporaryFile("inline-writes.db")
        let db = try SQLiteSQLDatabase(path: path, name: "test:db")
        defer { db.close() }
        _ = try await awaiting { db.execute("CREATE TABLE t (v INTEGER)", [], completion: $0) }.get()
        // FULL (this SQLite's default): every commit syncs, so writes go to the executor.
        #expect(db.executeIfImmediate("INSERT INTO t VALUES (?)", [.integer(1)]) == nil)
        _ = try await awaiting { db.execute("PRAGMA synchronous = NORMAL", [], completion: $0) }.get()
        #expect(try db.executeIfImmediate("INSERT INTO t VALUES (?)", [.integer(2)])?.get()
            == SQLExecResult(lastInsertID: 1, rowsAffected: 1))
        // Only single plain writes: no schema change, no second statement.
        #expect(db.executeIfImmediate("CREATE TABLE u (v INTEGER)", []) == nil)
        #expect(db.executeIfImmediate("INSERT INTO t VALUES (3); INSERT INTO t VALUES (4)", []) == nil)
        // An error is reported as the executor would.
        #expect(db.executeIfImmediate("INSERT INTO nowhere VALUES (1)", []) == nil)
        // A write lock held by another connection: not inline (the write would wait), nothing written.
        let other = try SQLiteSQLDatabase(path: path, name: "test:other")
        defer { other.close() }
        let tx = try await awaiting { other.begin(isolation: .default, readOnly: false, completion: $0) }.get()
        _ = try await awaiting { tx.execute("INSERT INTO t VALUES (?)", [.integer(10)], completion: $0) }.get()
        #expect(db.executeIfImmediate("INSERT INTO t VALUES (?)", [.integer(5)]) == nil)
        _ = try await awaiting { tx.rollback(completion: $0) }.get()
        #expect(try await awaiting { db.query("SELECT v FROM t ORDER BY v", [], completion: $0) }.get().rows == [[.integer(2)]])
        // Back to FULL: the executor again.
        _ = try await awaiting { db.query("PRAGMA synchronous = FULL", [], completion: $0) }.get()
        #expect(db.executeIfImmediate("INSERT INTO t VALUES (?)", [.integer(6)]) == nil)
    }

    /// Inline commits do not run SQLite's automatic checkpoint (it syncs); the database runs it on its
    /// executor instead, so the write-ahead log stops growing.
    @Test func inlineWritesStillCheckpointTheLog() async throws {
        let path = temporaryFile("checkpoint.db")
        let db = try SQLiteSQLDatabase(path: path, name: "test:db")
        defer { db.close() }
        _ = try await awaiting { db.execute("PRAGMA synchronous = NORMAL; CREATE TABLE t (b BLOB)", [], completion: $0) }.get()
        let page = SQLValue.blob([UInt8](repeating: 7, count: 4000))
        var inline = 0
        for _ in 0..<4000 {
            if let result = db.executeIfImmediate("INSERT INTO t VALUES (?)", [page]) {
                _ = try result.get()
                inline += 1
            } else {
                _ = try await awaiting { db.execute("INSERT INTO t VALUES (?)", [page], completion: $0) }.get()
            }
        }
        #expect(inline > 2000)
        // ~8 000 pages were logged; without checkpoints the log would hold them all (over 30 MB).
        let walBytes = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(walBytes < 16_000_000, "the log is \(walBytes) bytes")
    }

    @Test func errorsCarryTheDriverMessageAndAKind() async throws {
        let db = try SQLiteSQLDatabase(path: temporaryFile("errors.db"), name: "test:db")
        defer { db.close() }
        let missing = await awaiting { db.query("SELECT * FROM nowhere", [], completion: $0) }.failure
        #expect(missing?.message == "query: no such table: nowhere")
        _ = try await awaiting { db.execute("CREATE TABLE u (k TEXT PRIMARY KEY)", [], completion: $0) }.get()
        _ = try await awaiting { db.execute("INSERT INTO u VALUES (?)", [.text("a")], completion: $0) }.get()
        let duplicate = await awaiting { db.execute("INSERT INTO u VALUES (?)", [.text("a")], completion: $0) }.failure
        #expect(duplicate?.kind == .conflict)
        #expect(duplicate?.message.contains("UNIQUE constraint failed") == true)
        let tooMany = await awaiting { db.query("SELECT ?", [.integer(1), .integer(2)], completion: $0) }.failure
        #expect(tooMany?.kind == .invalid)
        let savepoint = await awaiting { (completion: @escaping SQLCompletion<Void>) in
            db.begin(isolation: .default, readOnly: false) { result in
                guard case .success(let tx) = result else { return completion(.failure(.internal("no tx"))) }
                tx.savepoint(.create, name: "bad name;") { outcome in
                    tx.rollback { _ in completion(outcome) }
                }
            }
        }.failure
        #expect(savepoint?.kind == .invalid)
    }

    @Test func aFileThatIsNoDatabaseFailsToOpen() throws {
        let path = temporaryFile("junk.db")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        #expect(throws: WippyError.self) { try SQLiteSQLDatabase(path: path, name: "test:db") }
    }

    @Test func timesAreReadInTheFormatsSQLiteHolds() {
        #expect(SQLTime.normalize("2024-05-01") == "2024-05-01T00:00:00Z")
        #expect(SQLTime.normalize("2024-05-01T10:00") == "2024-05-01T10:00:00Z")
        #expect(SQLTime.normalize("2024-05-01 10:00:00.123456789Z") == "2024-05-01T10:00:00.123456789Z")
        #expect(SQLTime.normalize("2024-05-01T10:00:00-02:30") == "2024-05-01T12:30:00Z")
        #expect(SQLTime.normalize("yesterday") == nil)
        #expect(SQLTime.format(seconds: 0) == "1970-01-01T00:00:00Z")
    }
}

@Suite struct PostgresBackendTests {
    static func open(maxOpen: Int, maxIdle: Int = 2) async throws -> PostgresSQLDatabase {
        let settings = try await PostgresTestServer.freshSchema()
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try PostgresSQLDatabase(
                        settings: settings, name: "test:pg", maxOpen: maxOpen, maxIdle: maxIdle, maxLifetime: nil))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    @Test func valuesComeBackTyped() async throws {
        let db = try await Self.open(maxOpen: 2)
        defer { db.close() }
        let rows = try await awaiting {
            db.query(
                """
                SELECT 1::int2 AS a, 2::int4 AS b, $1::int8 AS c, 1.5::float4 AS d, $2::float8 AS e, true AS f, $3::text AS g,
                  '\\x00ff'::bytea AS h, '2024-05-01 10:00:00.5+02'::timestamptz AS i, '2024-05-01'::date AS j,
                  12.340::numeric AS k, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS l, NULL::text AS m, $4::bytea AS n
                """,
                [.integer(3), .real(0.25), .text("x"), .blob([1, 2])], completion: $0)
        }.get()
        #expect(rows.rows == [[
            .integer(1), .integer(2), .integer(3), .real(1.5), .real(0.25), .bool(true), .text("x"), .blob([0, 255]),
            .text("2024-05-01T08:00:00.5Z"), .text("2024-05-01T00:00:00Z"), .text("12.34"),
            .text("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), .null, .blob([1, 2]),
        ]])
    }

    @Test func maxOpenLimitsTheConnectionsInUse() async throws {
        let db = try await Self.open(maxOpen: 2)
        defer { db.close() }
        let queries = (0..<5).map { _ in Task { await awaiting { db.query("SELECT pg_sleep(0.1)", [], completion: $0) } } }
        // Sample while they run: never more than two open.
        var peak = 0
        for _ in 0..<20 {
            peak = max(peak, db.stats().openConnections)
            try? await Task.sleep(for: .milliseconds(10))
        }
        for query in queries { _ = try await query.value.get() }
        let stats = db.stats()
        #expect(peak <= 2)
        #expect(stats.openConnections <= 2)
        #expect(stats.waitCount >= 3)
        #expect(stats.maxOpenConnections == 2)
    }

    @Test func transactionsSavepointsAndIsolation() async throws {
        let db = try await Self.open(maxOpen: 4)
        defer { db.close() }
        _ = try await awaiting { db.execute("CREATE TABLE t (v integer)", [], completion: $0) }.get()
        let tx = try await awaiting { db.begin(isolation: .serializable, readOnly: false, completion: $0) }.get()
        let level = try await awaiting { tx.query("SHOW transaction_isolation", [], completion: $0) }.get()
        #expect(level.rows == [[.text("serializable")]])
        _ = try await awaiting { tx.execute("INSERT INTO t VALUES ($1)", [.integer(1)], completion: $0) }.get()
        _ = try await awaiting { tx.savepoint(.create, name: "s1", completion: $0) }.get()
        _ = try await awaiting { tx.execute("INSERT INTO t VALUES ($1)", [.integer(2)], completion: $0) }.get()
        _ = try await awaiting { tx.savepoint(.rollbackTo, name: "s1", completion: $0) }.get()
        _ = try await awaiting { tx.commit(completion: $0) }.get()
        let rows = try await awaiting { db.query("SELECT v FROM t", [], completion: $0) }.get()
        #expect(rows.rows == [[.integer(1)]])
        #expect(await awaiting { tx.commit(completion: $0) }.failure?.message == "transaction is not active")
        let readOnly = try await awaiting { db.begin(isolation: .default, readOnly: true, completion: $0) }.get()
        let refused = await awaiting { readOnly.execute("INSERT INTO t VALUES (3)", [], completion: $0) }.failure
        #expect(refused?.message.contains("read-only transaction") == true)
        _ = await awaiting { readOnly.rollback(completion: $0) }
        #expect(await awaiting { db.begin(isolation: .writeCommitted, readOnly: false, completion: $0) }.failure?.kind == .invalid)
        let syntax = await awaiting { db.query("SELEC 1", [], completion: $0) }.failure
        #expect(syntax?.message.hasPrefix("query: syntax error") == true)
        let typed = await awaiting { db.query("SELECT $1::int", [.text("abc")], completion: $0) }.failure
        #expect(typed?.message.contains("invalid input syntax") == true)
    }

    @Test func anUnreachableServerFailsToOpenWithTheReason() {
        let settings = PostgresConnectionSettings(host: "127.0.0.1", port: 1, database: "x", username: "x", password: "x")
        do {
            _ = try PostgresSQLDatabase(settings: settings, name: "test:pg", maxOpen: 1, maxIdle: 1, maxLifetime: nil)
            Issue.record("connected to port 1")
        } catch {
            #expect(error.kind == .unavailable)
            #expect(error.message.contains("127.0.0.1:1"))
        }
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
