import Testing
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime

/// Polls `condition` until it holds or `limit` passes (no fixed sleep: it returns as soon as it holds).
private func waitUntil(within limit: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return condition()
}

/// A Lua call that hands an SQLite statement to the database's executor tells its worker to expect the
/// answer soon (``Worker/awaitedNearbyCompletions``), so the idle worker polls for it before parking; the
/// count must come back down after every kind of answer, or the worker would keep spinning for nothing.
@Suite struct SQLNearbyCompletionTests {
    @Test func theCountReturnsToZeroAfterValuesAndErrorsOfEveryKindOfCall() async throws {
        let sql = SQLHarness()
        _ = try sql.sqlite()
        let worker = sql.harness.host.workers[0]
        // Every call below goes through the executor (DDL, FULL writes, transactions, statements), half of
        // them failing there.
        let result = await sql.run("""
            local sql = require("sql")
            local db = assert(sql.get("app:db"))
            local out = {}
            local function add(v) out[#out + 1] = v end
            assert(db:execute("CREATE TABLE t (v INTEGER NOT NULL)"))
            assert(db:execute("PRAGMA synchronous=FULL"))
            add(assert(db:execute("INSERT INTO t VALUES (?)", {1})).rows_affected)
            add(select(2, db:execute("INSERT INTO nowhere VALUES (1)")):kind() ~= nil)
            add(select(2, db:query("SELECT * FROM nowhere")):kind() ~= nil)
            add(select(2, db:prepare("SELEKT 1")) ~= nil)
            local st = assert(db:prepare("INSERT INTO t VALUES (?)"))
            add(assert(st:execute({2})).rows_affected)
            add(select(2, st:execute({sql.NULL})):kind())
            assert(st:close())
            local tx = assert(db:begin())
            assert(tx:execute("INSERT INTO t VALUES (3)"))
            add(select(2, tx:execute("INSERT INTO t VALUES (NULL)")):kind())
            add(#assert(tx:query("SELECT v FROM t")))
            assert(tx:savepoint("s"))
            assert(tx:rollback_to("s"))
            assert(tx:commit())
            add(#assert(db:query("SELECT v FROM t")))
            return out
            """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array([1, true, true, true, 1, "Conflict", "Conflict", 3, 3]))
        #expect(await waitUntil { worker.awaitedNearbyCompletions == 0 }, "left at \(worker.awaitedNearbyCompletions)")
    }

    /// Processes waiting in the connection's line (behind another's transaction) are counted while they
    /// wait; one terminated there still gets its answer once the line moves (dropped), and the count drops
    /// with it. Two waiters, so the count of 2 cannot be the holder's own calls (one at a time). No step
    /// depends on timing: each is waited for with a deadline.
    @Test func waitersInTheLineAreCountedUntilTheirAnswersComeEvenWhenTerminated() async throws {
        let sql = SQLHarness()
        _ = try sql.sqlite()
        let harness = sql.harness
        let worker = harness.host.workers[0]
        harness.install("test:waiter", source: """
            return function()
                local db = require("sql").get("app:db")
                db:execute("INSERT INTO t VALUES (2)")
                return "not terminated"
            end
            """, modules: ["sql"])
        harness.install("test:holder", source: """
            return function()
                local db = require("sql").get("app:db")
                assert(db:execute("CREATE TABLE t (v INTEGER)"))
                local tx = assert(db:begin())
                assert(tx:execute("INSERT INTO t VALUES (1)"))
                local waiter = process.spawn_monitored("test:waiter", "app:processes")
                process.spawn("test:waiter", "app:processes")
                local inbox = process.inbox()
                inbox:receive() -- the test saw both waiters counted
                process.terminate(waiter)
                local event = process.events():receive()
                assert(tx:commit())
                return {event.kind == process.event.EXIT, event.from == waiter}
            end
            """, modules: ["sql"])
        let (started, result) = harness.startProcess("test:holder")
        let holder = try #require(started, "test:holder is not installed")
        #expect(await waitUntil { worker.awaitedNearbyCompletions == 2 }, "counted \(worker.awaitedNearbyCompletions)")
        #expect(harness.node.send(to: holder, .message(Message(from: nil, topic: "go", payloads: []))))
        let outcome = await result.value
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.value == .array([true, true]))
        #expect(await waitUntil { worker.awaitedNearbyCompletions == 0 }, "left at \(worker.awaitedNearbyCompletions)")
    }
}

/// A PostgreSQL call tells its worker to expect a server's answer (``Worker/awaitedServerCompletions``), which
/// the idle worker may poll for; the count must come back down after values and errors, and count a call
/// that waits at the server for as long as it waits.
@Suite struct SQLServerCompletionTests {
    @Test func aCallWaitingAtTheServerIsCountedUntilItsAnswerAndErrorsAreCountedDown() async throws {
        let sql = SQLHarness()
        _ = try await sql.postgres()
        let harness = sql.harness
        let worker = harness.host.workers[0]
        // The waiter updates the row the holder's transaction has locked: it waits at the server.
        harness.install("test:waiter", source: """
            return function()
                local db = require("sql").get("app:db")
                assert(db:execute("UPDATE t SET v = 2 WHERE id = 1"))
                return "updated"
            end
            """, modules: ["sql"])
        harness.install("test:holder", source: """
            return function()
                local sql = require("sql")
                local db = sql.get("app:db")
                assert(db:execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
                assert(db:execute("INSERT INTO t VALUES (1, 1)"))
                local failed = select(2, db:query("SELECT * FROM nowhere")):kind() ~= nil
                local tx = assert(db:begin())
                assert(tx:execute("UPDATE t SET v = 3 WHERE id = 1"))
                process.spawn_monitored("test:waiter", "app:processes")
                process.inbox():receive() -- the test saw the waiter counted
                assert(tx:commit())
                local event = process.events():receive()
                local rows = assert(db:query("SELECT v FROM t WHERE id = 1"))
                return {failed, event.result and event.result.value, rows[1].v}
            end
            """, modules: ["sql"])
        let (started, result) = harness.startProcess("test:holder")
        let holder = try #require(started, "test:holder is not installed")
        // Only the waiter can be counted now: the holder itself is parked in its receive.
        let counted = { harness.host.workers.reduce(0) { $0 + $1.awaitedServerCompletions } }
        #expect(await waitUntil { counted() == 1 }, "counted \(counted())")
        #expect(harness.node.send(to: holder, .message(Message(from: nil, topic: "go", payloads: []))))
        let outcome = await result.value
        #expect(outcome.error == nil, "\(String(describing: outcome.error))")
        #expect(outcome.value == .array([true, "updated", 2]))
        #expect(await waitUntil { counted() == 0 }, "left at \(counted())")
        #expect(worker.awaitedNearbyCompletions == 0)
    }
}
