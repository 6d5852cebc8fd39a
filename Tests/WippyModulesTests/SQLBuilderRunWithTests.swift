import Testing
import WippyCore

/// `builder:run_with(handle)`: the executor calls the handle's `query`/`execute` with the rendered SQL and
/// arguments (`$n` on PostgreSQL handles), hands back what they return, and lets them suspend.
@Suite struct SQLBuilderRunWithTests {
    @Test func queryAndExecCallTheHandleWithTheRenderedStatement() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local db = fake("sqlite")
            local rows, err = b.select("id", "status"):from("tasks"):where({status = "done"})
                :order_by("created_at DESC"):limit(100):run_with(db):query()
            local res, err2 = b.insert("tasks"):columns("id", "title", "note"):values("a1", "T", nil):run_with(db):exec()
            local ex = b.delete("tasks"):where("id = ?", "a1"):run_with(db)
            ex:exec()
            ex:exec()
            return {rows[1].id, err == nil, res.last_insert_id, res.rows_affected, err2 == nil, db.calls, render(ex:to_sql())}
            """)
        #expect(result.value == .array([
            1, true, 7, 1, true,
            .array([
                "query: SELECT id, status FROM tasks WHERE status = ? ORDER BY created_at DESC LIMIT 100 | 'done'",
                "execute: INSERT INTO tasks (id,title,note) VALUES (?,?,?) | 'a1', 'T', NULL",
                "execute: DELETE FROM tasks WHERE id = ? | 'a1'",
                "execute: DELETE FROM tasks WHERE id = ? | 'a1'",
            ]),
            "DELETE FROM tasks WHERE id = ? | 'a1'",
        ]))
    }

    @Test func postgresHandlesGetDollarPlaceholdersOthersKeepTheBuildersFormat() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local pg, tx, lite = fake("postgres"), fake("postgres", "db_type"), fake("sqlite")
            local q = b.select("a"):from("t"):where("a = ? AND b = ?", 1, 2)
            q:run_with(pg):query()
            q:placeholder_format(b.colon):run_with(tx):query()
            q:placeholder_format(b.dollar):run_with(lite):query()
            q:run_with(fake("mysql", "db_type")):query()
            return {
                pg.calls[1], tx.calls[1], lite.calls[1], S(q), render(q:run_with(pg):to_sql()),
                render(q:placeholder_format(b.at):run_with(lite):to_sql()),
            }
            """)
        #expect(result.value == .array([
            "query: SELECT a FROM t WHERE a = $1 AND b = $2 | 1, 2",
            "query: SELECT a FROM t WHERE a = $1 AND b = $2 | 1, 2",
            "query: SELECT a FROM t WHERE a = $1 AND b = $2 | 1, 2",
            "SELECT a FROM t WHERE a = ? AND b = ? | 1, 2",
            "SELECT a FROM t WHERE a = $1 AND b = $2 | 1, 2",
            "SELECT a FROM t WHERE a = @p1 AND b = @p2 | 1, 2",
        ]))
    }

    @Test func valuesReachTheHandleAsTheyWereGiven() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local seen = {}
            local db = fake("sqlite")
            local f, t = function() end, {1, 2}
            function db:execute(text, args)
                seen[#seen + 1] = {rawequal(args[1], f), args[2] == sql.NULL, args[3] == sql.NULL, rawequal(args[4], b.dollar), #args}
                args[1] = "changed by the handle"
                return {rows_affected = 1}, nil
            end
            local ex = b.insert("t"):columns("f", "n", "t", "x"):values(f, sql.NULL, t, b.dollar):run_with(db)
            ex:exec()
            ex:exec()
            local cond = b.select("a"):from("t"):where(b.expr("x = ?", f)):where(b.and_({b.eq({y = f})}))
            local _, args = cond:to_sql()
            return {seen[1], seen[2], rawequal(args[1], f), rawequal(args[2], f)}
            """)
        #expect(result.value == .array([.array([true, true, true, true, 4]), .array([true, true, true, true, 4]), true, true]))
    }

    @Test func whatTheHandleReturnsIsReturned() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local db = fake("sqlite")
            function db:query() return nil, "no such table: t" end
            local rows, err = b.select("a"):from("t"):run_with(db):query()
            return {rows == nil, err}
            """)
        #expect(result.value == .array([true, "no such table: t"]))
    }

    @Test func runWithRefusesWhatIsNoHandleAndReportsBadStatements() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local q = b.select("a"):from("t")
            local ex, err = b.insert("t"):run_with(fake("sqlite"))
            local noType = {query = function() end, execute = function() end}
            local checks = {
                raises(function() return q:run_with(5) end),
                raises(function() return q:run_with(nil) end),
                raises(function() return q:run_with({}) end),
                raises(function() return q:run_with(noType) end),
                raises(function() return q:run_with(b.dollar) end),
                raises(function() return q.run_with(5, fake("sqlite")) end),
                raises(function() return q:run_with(fake("sqlite")).query(5) end),
                raises(function() return q:run_with(fake("sqlite")).exec({}) end),
                raises(function() return q:run_with(fake("sqlite")).to_sql(5) end),
            }
            for i, message in ipairs(checks) do checks[i] = message:gsub("^.-:%d+: ", "") end
            checks[#checks + 1] = ex == nil and render(ex, err)
            return checks
            """)
        #expect(result.value == .array([
            "bad argument #1 to 'run_with' (DB or Transaction expected, got number)",
            "bad argument #1 to 'run_with' (DB or Transaction expected, got nil)",
            "bad argument #1 to 'run_with' (DB or Transaction expected, got table)",
            "bad argument #1 to 'run_with' (DB or Transaction expected, got table)",
            "bad argument #1 to 'run_with' (DB or Transaction expected, got userdata)",
            "bad argument #1 to 'run_with' (query builder expected, got number)",
            "bad argument #1 to 'query' (QueryExecutor expected, got number)",
            "bad argument #1 to 'exec' (QueryExecutor expected, got table)",
            "bad argument #1 to 'to_sql' (QueryExecutor expected, got number)",
            "error(Invalid): insert needs at least one row of values (values(...) or set_map) or a select",
        ]))
    }

    @Test func handleMethodsMaySuspendTheProcessOrYieldACoroutine() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local db = fake("sqlite")
            function db:query(text, args)
                time.sleep("1ms")                      -- suspends the process inside the executor
                return {{sql = text}}, nil
            end
            function db:execute(text, args)
                local reply = coroutine.yield("paused at " .. text)
                return {rows_affected = reply}, nil
            end
            local rows = b.select("a"):from("t"):run_with(db):query()
            local co = coroutine.create(function()
                return b.delete("t"):run_with(db):exec()
            end)
            local ok1, paused = coroutine.resume(co)
            local ok2, res = coroutine.resume(co, 3)
            return {rows[1].sql, ok1, paused, ok2, res.rows_affected, coroutine.status(co)}
            """)
        #expect(result.value == .array(["SELECT a FROM t", true, "paused at DELETE FROM t", true, 3, "dead"]))
    }
}
