import Foundation
import Testing
import WippyCore
import WippyModules
import WippyResources
import WippyRuntime
import WippyStore
import WippyTestSupport

/// A harness with one SQL database installed as `app:db`; its directory goes when the test process exits.
struct SQLHarness {
    let harness = ModulesHarness(workers: 1)
    let directory: String

    init() {
        directory = TemporaryPaths.unique("wippy-sql-")
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func sqlite(_ id: String = "app:db", file: String = "db.sqlite") throws -> SQLiteSQLDatabase {
        let database = try SQLiteSQLDatabase(path: directory + "/" + file, name: id)
        harness.runtime.resources.install(EntryID(parsing: id), database)
        return database
    }

    func postgres(_ id: String = "app:db", maxOpen: Int = 4) async throws -> PostgresSQLDatabase {
        let settings = try await PostgresTestServer.freshSchema()
        let database = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try PostgresSQLDatabase(
                        settings: settings, name: id, maxOpen: maxOpen, maxIdle: 2, maxLifetime: nil))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        harness.runtime.resources.install(EntryID(parsing: id), database)
        return database
    }

    func run(_ body: String) async -> ProcessResult {
        harness.install("test:main", source: "return function()\n\(body)\nend", modules: ["sql"])
        return await harness.runEntry("test:main")
    }
}

/// The same Lua on SQLite and PostgreSQL: placeholders through `P(n)`.
let portableScript = """
    local sql = require("sql")
    local db, err = sql.get("app:db")
    if not db then return {"get", tostring(err)} end
    local pg = db:type() == sql.type.POSTGRES
    local function P(n) return pg and ("$" .. n) or "?" end
    local out = {}
    local function add(v) out[#out + 1] = v end
    assert(db:execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, qty INTEGER, note TEXT, ok BOOLEAN, made TIMESTAMP)"))
    local r = assert(db:execute("INSERT INTO items (id, name, price, qty, note, ok, made) VALUES (" .. P(1) .. "," .. P(2) .. "," .. P(3) .. "," .. P(4) .. "," .. P(5) .. "," .. P(6) .. "," .. P(7) .. ")",
        {1, "apple", 1.5, 10, sql.NULL, true, "2024-05-01 10:00:00"}))
    add(r.rows_affected)
    assert(db:execute("INSERT INTO items (id, name, price, qty, note) VALUES (" .. P(1) .. "," .. P(2) .. "," .. P(3) .. "," .. P(4) .. "," .. P(5) .. ")",
        {2, "pear", sql.as.float(2), sql.as.int(7.9), "ripe"}))
    local rows = assert(db:query("SELECT id, name, price, qty, note, ok, made FROM items ORDER BY id"))
    add(#rows)
    add(rows[1].name); add(rows[1].price); add(rows[1].qty); add(rows[1].note == nil); add(rows[1].ok); add(rows[1].made)
    add(rows[2].name); add(rows[2].price); add(rows[2].qty); add(rows[2].note); add(rows[2].ok == nil)
    add(math.type(rows[1].id))
    -- a transaction with a savepoint rolled back
    local tx = assert(db:begin({isolation = sql.isolation.DEFAULT}))
    assert(tx:execute("UPDATE items SET qty = qty + 1 WHERE id = " .. P(1), {1}))
    assert(tx:savepoint("s1"))
    assert(tx:execute("DELETE FROM items WHERE id = " .. P(1), {2}))
    assert(tx:rollback_to("s1"))
    assert(tx:release("s1"))
    add(tx:db_type() == db:type())
    assert(tx:commit())
    local ok, terr = tx:commit()
    add(ok == nil); add(terr:kind()); add(terr:message())
    rows = assert(db:query("SELECT qty FROM items WHERE id = " .. P(1), {1}))
    add(rows[1].qty)
    -- rollback leaves nothing
    tx = assert(db:begin())
    assert(tx:execute("DELETE FROM items"))
    assert(tx:rollback())
    add(#assert(db:query("SELECT id FROM items")))
    -- statements
    local st = assert(db:prepare("SELECT name FROM items WHERE id = " .. P(1)))
    add(st:query({2})[1].name)
    assert(st:close())
    local _, serr = st:query({2})
    add(serr:message())
    local _, serr2 = st:close()
    add(serr2:message())
    -- errors
    local _, qerr = db:query("SELECT * FROM no_such_table")
    add(qerr ~= nil); add(qerr:kind() ~= nil)
    local _, perr = db:query("SELECT 1", "nope")
    add(perr:kind()); add(perr:message())
    local _, ierr = db:begin({isolation = "sideways"})
    add(ierr:kind())
    local _, cerr = db:execute("INSERT INTO items (id, name) VALUES (" .. P(1) .. "," .. P(2) .. ")", {1, "dup"})
    add(cerr:kind())
    local stats = db:stats()
    add(type(stats.open_connections)); add(type(stats.wait_duration))
    add(db:release()); add(db:release())
    local _, rerr = db:query("SELECT 1")
    add(rerr:message())
    return out
    """

let portableExpected: Payload = .array([
    1, 2, "apple", 1.5, 10, true, true, "2024-05-01T10:00:00Z", "pear", 2.0, 7, "ripe", true, "integer",
    true, true, "Invalid", "transaction is not active", 11, 2, "pear", "statement is closed", "statement is already closed",
    true, true, "Invalid", "parameters must be a table, got string", "Invalid", "Conflict", "number", "string", true, true,
    "database handle is released",
])

@Suite struct SQLModuleTests {
    @Test func sqliteRunsThePortableScript() async throws {
        let sql = SQLHarness()
        _ = try sql.sqlite()
        let result = await sql.run(portableScript)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == portableExpected)
    }

    @Test func postgresRunsThePortableScriptWithTheSameOutput() async throws {
        let sql = SQLHarness()
        _ = try await sql.postgres()
        let result = await sql.run(portableScript)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == portableExpected)
    }

    @Test func unknownDatabaseAndWrongArgumentsAreErrors() async throws {
        let sql = SQLHarness()
        let result = await sql.run("""
            local sql = require("sql")
            local db, err = sql.get("app:missing")
            local _, empty = sql.get("")
            local ok, raised = pcall(sql.get, 42)
            return {db == nil, err:kind(), empty:kind(), ok, sql.type.SQLITE, sql.isolation.SERIALIZABLE}
            """)
        #expect(result.error == nil)
        #expect(result.value == .array([true, "NotFound", "Invalid", false, "sqlite", "serializable"]))
    }

    @Test func anOpenTransactionIsRolledBackWhenTheInvocationEnds() async throws {
        let sql = SQLHarness()
        _ = try sql.sqlite()
        let first = await sql.run("""
            local db = require("sql").get("app:db")
            assert(db:execute("CREATE TABLE t (v INTEGER)"))
            local tx = assert(db:begin())
            assert(tx:execute("INSERT INTO t VALUES (1)"))
            return true
            """)
        #expect(first.error == nil)
        let second = await sql.run("""
            local db = require("sql").get("app:db")
            return #assert(db:query("SELECT v FROM t"))
            """)
        #expect(second.error == nil, "\(String(describing: second.error))")
        #expect(second.value == 0)
    }

    @Test func typedValuesAndBindingRules() async throws {
        let sql = SQLHarness()
        _ = try sql.sqlite()
        let result = await sql.run("""
            local sql = require("sql")
            local db = sql.get("app:db")
            local r = assert(db:query("SELECT typeof(?) AS a, typeof(?) AS b, typeof(?) AS c, typeof(?) AS d, typeof(?) AS e, ? AS f, typeof(?) AS g",
                {1, 1.5, "x", sql.as.binary("\\0\\1"), {}, sql.as.text(12), nil}))
            local row = r[1]
            return {row.a, row.b, row.c, row.d, row.e, row.f, row.g}
            """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array(["integer", "real", "text", "blob", "null", "12", "null"]))
    }

    @Test func badInputIsAClearErrorAndTheProcessGoesOn() async throws {
        let sql = SQLHarness()
        _ = try sql.sqlite()
        let result = await sql.run("""
            local sql = require("sql")
            local db = sql.get("app:db")
            local out = {}
            local function add(v) out[#out + 1] = v end
            assert(db:execute("CREATE TABLE t (v INTEGER NOT NULL)"))
            -- raised: the SQL is not a string, the receiver is not a DB, binary of a number
            add((pcall(db.query, db, 42)))
            add((pcall(db.query, {}, "SELECT 1")))
            add((pcall(sql.as.binary, 12)))
            -- returned: a NOT NULL column given a function (bound as NULL), bad options
            local _, nn = db:execute("INSERT INTO t VALUES (?)", {function() end})
            add(nn:kind())
            local _, opt = db:begin("fast")
            add(opt:kind())
            -- a statement of a transaction closes with it; a failed statement leaves the transaction usable
            local tx = assert(db:begin())
            local st = assert(tx:prepare("INSERT INTO t VALUES (?)"))
            assert(st:execute({1}))
            local _, bad = tx:execute("INSERT INTO nowhere VALUES (1)")
            add(bad:message())
            assert(tx:commit())
            local _, closed = st:execute({2})
            add(closed:message())
            local _, sp = tx:savepoint("x")
            add(sp:message())
            local rows = assert(db:query("SELECT v FROM t"))
            add(#rows)
            -- savepoint names are checked
            tx = assert(db:begin())
            local _, name = tx:savepoint("a-b")
            add(name:kind())
            assert(tx:rollback())
            return out
            """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        #expect(result.value == .array([
            false, false, false, "Conflict", "Invalid", "execute: no such table: nowhere", "statement is closed",
            "transaction is not active", 1, "Invalid",
        ]))
    }
}

/// The inline read path (`db:query` on SQLite: rows written straight into Lua tables) against the path
/// through the executor (`tx:query`, rows collected first): the same rows, whatever their shape.
@Suite struct SQLInlineReadTests {
    @Test func inlineRowsMatchTheRowsOfTheExecutorPath() async throws {
        let sql = SQLHarness()
        _ = try sql.sqlite()
        let result = await sql.run("""
            local sql = require("sql")
            local db = sql.get("app:db")
            -- 30 columns (more than the 20 stack slots a C function is promised), text that is ASCII,
            -- not ASCII, empty, and not UTF-8 at all, duplicate names with a NULL, several rows, none
            local wide = {}
            for i = 1, 30 do wide[#wide + 1] = "? AS c" .. i end
            local widesql = "SELECT " .. table.concat(wide, ", ")
            local args = {}
            for i = 1, 30 do args[i] = (i % 3 == 0) and ("v" .. i) or i end
            local queries = {
                {widesql, args},
                {"SELECT 'plain ascii text that is longer than forty bytes, past Lua short strings' AS t", nil},
                {"SELECT 'h\\u{e9}llo w\\u{f6}rld \\u{2603}' AS t, '' AS e", nil},
                {"SELECT CAST(x'41ff42' AS TEXT) AS bad, CAST(x'c3a9' AS TEXT) AS good", nil},
                {"SELECT 1 AS d, NULL AS d", nil},
                {"SELECT NULL AS d, 2 AS d", nil},
                {"SELECT value AS n, 'r' || value AS s FROM json_each('[1,2,3]')", nil},
                {"SELECT 1 AS x WHERE 0", nil},
                {"SELECT 2 AS x WHERE 1", nil},
                {"SELECT 3 AS y WHERE 1", nil},
            }
            local function dump(rows)
                local out = {}
                for i, row in ipairs(rows) do
                    local keys = {}
                    for k in pairs(row) do keys[#keys + 1] = k end
                    table.sort(keys)
                    local parts = {}
                    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(math.type(row[k])) .. ":" .. tostring(row[k]) end
                    out[#out + 1] = i .. "{" .. table.concat(parts, ",") .. "}"
                end
                return #rows .. " " .. table.concat(out, " ")
            end
            local mismatches = {}
            local inline = {}
            for round = 1, 2 do -- the second round runs each statement again (the kept statement when it was last)
                for i, q in ipairs(queries) do
                    local rows = assert(db:query(q[1], q[2]))
                    local tx = assert(db:begin())
                    local viaExecutor = assert(tx:query(q[1], q[2]))
                    assert(tx:rollback())
                    local a, b = dump(rows), dump(viaExecutor)
                    if a ~= b then mismatches[#mismatches + 1] = i .. ": " .. a .. " ~= " .. b end
                    if round == 1 then inline[i] = a elseif inline[i] ~= a then mismatches[#mismatches + 1] = i .. " changed: " .. a end
                end
            end
            return table.concat({table.concat(mismatches, "; "), inline[1], inline[4], inline[5], inline[6], inline[7], inline[8],
                tostring(#db:query("SELECT 1 AS a"))}, "\\n")
            """)
        #expect(result.error == nil, "\(String(describing: result.error))")
        let values = (result.value.stringValue ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard values.count == 8 else {
            Issue.record("unexpected result \(String(describing: result.value))")
            return
        }
        #expect(values[0] == "", "inline and executor rows differ: \(values[0])")
        let wide = values[1]
        #expect(wide.hasPrefix("1 1{c1=integer:1,c10=integer:10,"), "\(wide)")
        #expect(wide.contains("c30=nil:v30"), "\(wide)")
        // Invalid UTF-8 is repaired as the executor path repairs it; valid non-ASCII text is kept as is.
        #expect(values[2] == "1 1{bad=nil:A\u{FFFD}B,good=nil:é}")
        // Of duplicate names the last wins, and a NULL leaves the key as the earlier column set it.
        #expect(values[3] == "1 1{d=integer:1}")
        #expect(values[4] == "1 1{d=integer:2}")
        #expect(values[5] == "3 1{n=integer:1,s=nil:r1} 2{n=integer:2,s=nil:r2} 3{n=integer:3,s=nil:r3}")
        #expect(values[6] == "0 ")
        #expect(values[7] == "1")
    }
}
