import Foundation
import Synchronization
import Testing
import WippyCore
@testable import WippyResources

/// A query a session has run before runs as a named statement (``PostgresSession``): the server keeps its
/// plan, and the results, errors and recoveries are those of an unnamed run. Each database here has one
/// connection, so every query runs on the same session.
@Suite struct PostgresNamedStatementTests {
    static func rows(_ db: PostgresSQLDatabase, _ sql: String, _ arguments: [SQLValue] = []) async throws -> SQLRows {
        try await awaiting { db.query(sql, arguments, completion: $0) }.get()
    }

    @Test func aQueryRunTwiceIsNamedOnTheServer() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        let sql = "SELECT $1::int + 1 AS v"
        for n in 1...4 {
            #expect(try await Self.rows(db, sql, [.integer(Int64(n))]) == SQLRows(columns: ["v"], rows: [[.integer(Int64(n) + 1)]]))
        }
        // Untyped text arguments keep the server's inference on every run of the name.
        _ = try await awaiting { db.execute("CREATE TABLE e (at timestamptz)", [], completion: $0) }.get()
        _ = try await awaiting { db.execute("INSERT INTO e VALUES ('2024-05-01T10:00:00Z')", [], completion: $0) }.get()
        for _ in 1...3 {
            #expect(try await Self.rows(db, "SELECT count(*) AS n FROM e WHERE at > $1", [.text("2024-01-01T00:00:00Z")]).rows == [[.integer(1)]])
        }
        let named = try await Self.rows(db, "SELECT statement FROM pg_prepared_statements ORDER BY statement")
        #expect(named.rows == [[.text("SELECT $1::int + 1 AS v")], [.text("SELECT count(*) AS n FROM e WHERE at > $1")]])
    }

    /// A named query whose parameter the binary binds cannot take (a timestamp) runs in a task that takes a
    /// few loop jobs (its start and its resumption after the answer): every `await` into postgres-nio
    /// continues at once on the loop. When the executor ran jobs as on the loop's serial executor, each
    /// such `await` queued the task on the loop again: 28 jobs per query.
    @Test func aNamedQueryTakesAFewLoopJobs() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        let sql = "SELECT $1::timestamptz AS t"
        let at = SQLValue.text("2024-05-01T10:00:00Z")
        let expected = try await Self.rows(db, sql, [at])
        for _ in 1...2 { #expect(try await Self.rows(db, sql, [at]) == expected) }
        #expect(Self.bindsInBinary(db, sql) == false)
        guard let pooled = db.pool.acquireIdle() else {
            Issue.record("the database's one session is not idle")
            return
        }
        let executor = pooled.connection.executor
        db.pool.release(pooled)
        let before = executor.jobs.load(ordering: .relaxed)
        let runs = 20
        for _ in 1...runs {
            #expect(try await Self.rows(db, sql, [at]) == expected)
        }
        let jobs = executor.jobs.load(ordering: .relaxed) - before
        #expect(jobs >= runs && jobs <= 4 * runs, "loop jobs for \(runs) named queries: \(jobs)")
    }

    /// The session's plan for `sql`: prepared with binary binds (true), through the task (false), or not
    /// prepared (nil).
    static func bindsInBinary(_ db: PostgresSQLDatabase, _ sql: String) -> Bool? {
        guard let pooled = db.pool.acquireIdle() else { return nil }
        defer { db.pool.release(pooled) }
        switch pooled.connection.prepared[sql] {
        case .fast?: return true
        case .async?: return false
        case nil: return nil
        }
    }

    /// Arguments bound in binary to the types the server inferred give the rows (and errors) of the unnamed
    /// run, where each went as untyped text: every supported type, NULLs, the edges of each integer width,
    /// an integer for a double and for a text, quotes and non-ASCII text, and values with no exact binary
    /// form for their parameter (an integer too wide, a text for an integer), which run unnamed.
    @Test func binaryBindsGiveTheRowsOfTheUnnamedRun() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        let sql = "SELECT $1::int2 AS a, $2::int4 AS b, $3::int8 AS c, $4::float8 AS d, $5::bool AS e, $6::text AS f, $7::varchar AS g, $8::char(3) AS h"
        let cases: [[SQLValue]] = [
            [.integer(1), .integer(2), .integer(3), .real(0.1), .bool(true), .text("it's \\ ü"), .text("v"), .text("ab")],
            [.integer(-32768), .integer(Int64(Int32.max)), .integer(Int64.min), .integer(-7), .bool(false), .integer(42), .real(2.5), .bool(true)],
            [.null, .null, .null, .null, .null, .null, .null, .null],
            [.integer(32767), .integer(Int64(Int32.min)), .integer(Int64.max), .real(-.infinity), .bool(true), .text(""), .text("x"), .text("abc")],
        ]
        var expected: [SQLRows] = []
        for arguments in cases { expected.append(try await Self.rows(db, sql, arguments)) }
        for _ in 1...2 {
            for (arguments, rows) in zip(cases, expected) { #expect(try await Self.rows(db, sql, arguments) == rows) }
        }
        #expect(Self.bindsInBinary(db, sql) == true)
        #expect(expected[0].rows[0][3] == .real(0.1) && expected[1].rows[0][5] == .text("42"))
        let wide = await awaiting { db.query(sql, [.integer(40000), .integer(1), .integer(1), .real(1), .bool(true), .text(""), .text(""), .text("")], completion: $0) }.failure
        #expect(wide?.message.contains("out of range for type smallint") == true, "\(String(describing: wide))")
        let parsed = try await Self.rows(db, sql, [.text("5"), .integer(1), .integer(1), .real(1), .bool(true), .text(""), .text(""), .text("")])
        #expect(parsed.rows.first?.first == .integer(5))
        #expect(Self.bindsInBinary(db, sql) == true)
    }

    /// An error of a binary-bound run keeps the server's message and its kind (postgres-nio reports them
    /// through another error type on that path).
    @Test func aBinaryBoundRunReportsTheServersErrorAndKind() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        _ = try await awaiting { db.execute("CREATE TABLE u (v integer PRIMARY KEY)", [], completion: $0) }.get()
        let sql = "INSERT INTO u VALUES ($1) RETURNING v"
        for n in 1...3 { #expect(try await Self.rows(db, sql, [.integer(Int64(n))]).rows == [[.integer(Int64(n))]]) }
        #expect(Self.bindsInBinary(db, sql) == true)
        let duplicate = await awaiting { db.query(sql, [.integer(2)], completion: $0) }.failure
        #expect(duplicate?.kind == .conflict)
        #expect(duplicate?.message.hasPrefix("query: duplicate key value violates unique constraint") == true)
    }

    @Test func aNamedStatementThatReturnsNoRowsRunsEveryTime() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        _ = try await awaiting { db.execute("CREATE TABLE w (v integer)", [], completion: $0) }.get()
        for n in 1...3 { #expect(try await Self.rows(db, "INSERT INTO w VALUES ($1)", [.integer(Int64(n))]).rows == []) }
        for _ in 1...2 { #expect(try await Self.rows(db, "SELECT v FROM w WHERE v > $1 ORDER BY v", [.integer(9)]).rows == []) }
        #expect(try await Self.rows(db, "SELECT v FROM w WHERE v > $1 ORDER BY v", [.integer(1)]).rows == [[.integer(2)], [.integer(3)]])
        #expect(try await Self.rows(db, "SELECT v FROM w WHERE v > $1 ORDER BY v", [.null]).rows == [])
    }

    @Test func aNamedQueryFollowsItsTableWhenTheColumnsChange() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        _ = try await awaiting { db.execute("CREATE TABLE t (a integer)", [], completion: $0) }.get()
        _ = try await awaiting { db.execute("INSERT INTO t VALUES (1)", [], completion: $0) }.get()
        for _ in 1...3 { #expect(try await Self.rows(db, "SELECT * FROM t").rows == [[.integer(1)]]) }
        _ = try await awaiting { db.execute("ALTER TABLE t ADD COLUMN b text DEFAULT 'x'", [], completion: $0) }.get()
        for _ in 1...3 {
            #expect(try await Self.rows(db, "SELECT * FROM t") == SQLRows(columns: ["a", "b"], rows: [[.integer(1), .text("x")]]))
        }
    }

    @Test func aQueryThatFailedWhileItsTableWasMissingWorksOnceItExists() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        for _ in 1...3 {
            let missing = await awaiting { db.query("SELECT v FROM later", [], completion: $0) }.failure
            #expect(missing?.message == "query: relation \"later\" does not exist")
        }
        _ = try await awaiting { db.execute("CREATE TABLE later (v integer)", [], completion: $0) }.get()
        _ = try await awaiting { db.execute("INSERT INTO later VALUES (5)", [], completion: $0) }.get()
        for _ in 1...3 { #expect(try await Self.rows(db, "SELECT v FROM later").rows == [[.integer(5)]]) }
    }

    @Test func aNameTheServerForgotRunsAgain() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        for n in 1...3 { #expect(try await Self.rows(db, "SELECT $1::int AS v", [.integer(Int64(n))]).rows == [[.integer(Int64(n))]]) }
        _ = try await awaiting { db.execute("DEALLOCATE ALL", [], completion: $0) }.get()
        for n in 4...6 { #expect(try await Self.rows(db, "SELECT $1::int AS v", [.integer(Int64(n))]).rows == [[.integer(Int64(n))]]) }
    }

    @Test func aNamedRunThatFailsReportsTheServersErrorAndTheNameStaysUsable() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        let sql = "SELECT 10 / $1::int AS v"
        #expect(try await Self.rows(db, sql, [.integer(1)]).rows == [[.integer(10)]])
        #expect(try await Self.rows(db, sql, [.integer(2)]).rows == [[.integer(5)]])
        let failure = await awaiting { db.query(sql, [.integer(0)], completion: $0) }.failure
        #expect(failure?.message == "query: division by zero")
        #expect(try await Self.rows(db, sql, [.integer(5)]).rows == [[.integer(2)]])
        let typed = await awaiting { db.query(sql, [.text("abc")], completion: $0) }.failure
        #expect(typed?.message.contains("invalid input syntax") == true)
        let named = try await Self.rows(db, "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement = $1", [.text(sql)])
        #expect(named.rows == [[.integer(1)]])
    }
}
