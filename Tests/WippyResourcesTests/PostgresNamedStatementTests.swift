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

    /// A named query's task takes a few loop jobs (its start and its resumption after the answer): every
    /// `await` into postgres-nio continues at once on the loop. When the executor ran jobs as on the loop's
    /// serial executor, each such `await` queued the task on the loop again: 28 jobs per query.
    @Test func aNamedQueryTakesAFewLoopJobs() async throws {
        let db = try await PostgresBackendTests.open(maxOpen: 1, maxIdle: 1)
        defer { db.close() }
        let sql = "SELECT $1::int + 1 AS v"
        for n in 1...3 { _ = try await Self.rows(db, sql, [.integer(Int64(n))]) }
        guard let pooled = db.pool.acquireIdle() else {
            Issue.record("the database's one session is not idle")
            return
        }
        let executor = pooled.connection.executor
        db.pool.release(pooled)
        let before = executor.jobs.load(ordering: .relaxed)
        let runs = 20
        for n in 1...runs {
            #expect(try await Self.rows(db, sql, [.integer(Int64(n))]) == SQLRows(columns: ["v"], rows: [[.integer(Int64(n) + 1)]]))
        }
        let jobs = executor.jobs.load(ordering: .relaxed) - before
        #expect(jobs >= runs && jobs <= 4 * runs, "loop jobs for \(runs) named queries: \(jobs)")
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
