import Testing
import WippyCore

/// `sql.builder` from Lua: the SQL text and arguments of every form, immutability, bad input, and the
/// `run_with` executor's contract with a DB or Transaction handle.
@Suite struct SQLBuilderLuaTests {
    @Test func theTaskQueueExampleForms() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local query = b.select("id", "status"):from("tasks"):order_by("created_at DESC"):limit(100)
            local unfiltered = S(query)
            query = query:where({status = "done"})
            return {
                unfiltered, S(query),
                S(b.insert("tasks"):columns("id", "title", "status", "n"):values("a1", "Title", sql.NULL, 2.5)),
                S(b.insert("tasks"):columns("id", "n"):values("x", 1):values("y", nil)),
            }
            """)
        #expect(result.value == .array([
            "SELECT id, status FROM tasks ORDER BY created_at DESC LIMIT 100 | ",
            "SELECT id, status FROM tasks WHERE status = ? ORDER BY created_at DESC LIMIT 100 | 'done'",
            "INSERT INTO tasks (id,title,status,n) VALUES (?,?,?,?) | 'a1', 'Title', NULL, f2.5",
            "INSERT INTO tasks (id,n) VALUES (?,?),(?,?) | 'x', 1, 'y', NULL",
        ]))
    }

    @Test func everyMethodReturnsANewBuilderAndLeavesTheOldOneAlone() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local base = b.select("a"):from("t")
            local before = S(base)
            base:where("x = ?", 1)                    -- not reassigned: no effect
            local one = base:where("x = ?", 1)
            local two = base:where({y = 2}):limit(5)
            local three = one:where(b.expr("z = ?", 3))
            local ins = b.insert("t"):columns("a")
            local row1 = ins:values(1)
            local row2 = ins:values(2)
            return {
                before, S(base), S(one), S(two), S(three), S(ins), S(row1), S(row2), rawequal(base, one),
                S(base:placeholder_format(b.dollar):where("q = ?", 9)), S(base),
            }
            """)
        #expect(result.value == .array([
            "SELECT a FROM t | ", "SELECT a FROM t | ", "SELECT a FROM t WHERE x = ? | 1",
            "SELECT a FROM t WHERE y = ? LIMIT 5 | 2", "SELECT a FROM t WHERE x = ? AND z = ? | 1, 3",
            "error(Invalid): insert needs at least one row of values (values(...) or set_map) or a select",
            "INSERT INTO t (a) VALUES (?) | 1", "INSERT INTO t (a) VALUES (?) | 2", false,
            "SELECT a FROM t WHERE q = $1 | 9", "SELECT a FROM t | ",
        ]))
    }

    /// A base builder reused in a loop does not keep what its derived builders bound (typed values, userdata).
    @Test func derivedBuildersDoNotGrowTheirBase() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local base = b.select("a"):from("t"):where("k = ?", function() end)
            local cond = b.expr("c = ?", function() end)
            local alive = setmetatable({}, {__mode = "k"})
            for i = 1, 200 do
                local value = function() end
                alive[value] = true
                local derived = base:where("x = ?", value):where(cond)
                assert(select(2, derived:to_sql())[2] == value)
            end
            system.gc.collect()          -- builders have finalizers: what they hold goes in the next cycle
            system.gc.collect()
            local left = 0
            for _ in pairs(alive) do left = left + 1 end
            local text, args = base:to_sql()
            return {left < 5 or left, text, #args, type(args[1])}
            """)
        #expect(result.value == .array([true, "SELECT a FROM t WHERE k = ?", 1, "function"]), "\(result)")
    }

    @Test func selectClausesAndPlaceholderFormats() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local q = b.select("t.id", "count(*) AS n"):distinct():columns("u.name"):from("tasks t")
                :join("users u ON u.id = t.user_id AND u.level > ?", 2)
                :left_join("a ON a.id = t.id"):right_join("r ON r.id = t.id"):inner_join("i ON i.id = ?", 3)
                :where("t.kind = ?", "k"):where({["t.done"] = true, ["t.gone"] = sql.NULL})
                :group_by("t.id", "u.name"):having("count(*) > ?", 1):order_by("n DESC", "t.id")
                :limit(10):offset(-4):suffix("FOR UPDATE")
            return {
                S(q), S(q:placeholder_format(b.dollar)), S(q:placeholder_format(b.colon)), S(q:placeholder_format(b.at)),
                S(q:placeholder_format(b.dollar):placeholder_format(b.question)), S(q:placeholder_format(b.default_placeholder)),
                S(b.select("a"):from("t"):where("a ?? b AND c = ?", 1):placeholder_format(b.dollar)),
                S(b.select("a"):from("t"):limit(2.0):offset(0)),
            }
            """)
        func numbered(_ prefix: String?) -> Payload {
            func p(_ n: Int) -> String { prefix.map { "\($0)\(n)" } ?? "?" }
            return .string("SELECT DISTINCT t.id, count(*) AS n, u.name FROM tasks t JOIN users u ON u.id = t.user_id AND u.level > \(p(1)) "
                + "LEFT JOIN a ON a.id = t.id RIGHT JOIN r ON r.id = t.id INNER JOIN i ON i.id = \(p(2)) WHERE t.kind = \(p(3)) "
                + "AND t.done = \(p(4)) AND t.gone IS NULL GROUP BY t.id, u.name HAVING count(*) > \(p(5)) ORDER BY n DESC, t.id "
                + "LIMIT 10 OFFSET 0 FOR UPDATE | 2, 3, 'k', true, 1")
        }
        #expect(result.value == .array([
            numbered(nil), numbered("$"), numbered(":"), numbered("@p"), numbered(nil), numbered(nil),
            "SELECT a FROM t WHERE a ? b AND c = $1 | 1", "SELECT a FROM t LIMIT 2 OFFSET 0 | ",
        ]))
    }

    @Test func conditions() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local sub = b.select("id"):from("done"):where("at > ?", 5)
            local function W(cond, ...) return S(b.select("a"):from("t"):where(cond, ...)) end
            local bad, err = b.lt({n = sql.NULL}):to_sql()
            return {
                W(b.eq({b = 1, a = "x"})), W(b.not_eq({a = 1, c = sql.NULL})), W(b.lt({n = 1})), W(b.lte({n = 1})),
                W(b.gt({n = 1, m = 2})), W(b.gte({n = 1})), W(b.like({name = "a%"})), W(b.not_like({name = "a%"})),
                W(b.and_({b.eq({a = 1}), {c = 2}, b.or_({b.expr("d = ?", 3), b.expr("e IS NULL")})})),
                W(b.and_({})), W(b.or_({})), W({}), W({list = {1, 2}}),
                W(b.expr("a BETWEEN ? AND ?", 1, 9)), W(b.expr("id IN (?) AND k = ?", sub, "v")), W("id IN (?)", sub),
                render(b.or_({{a = 1}, b.expr("b = ?", 2)}):to_sql()), render(b.expr("x"):to_sql()),
                bad, render(bad, err), render(b.select("a"):from("t"):where(b.like({n = sql.NULL})):to_sql()),
                W(""),
            }
            """)
        #expect(result.value == .array([
            "SELECT a FROM t WHERE a = ? AND b = ? | 'x', 1",
            "SELECT a FROM t WHERE a <> ? AND c IS NOT NULL | 1",
            "SELECT a FROM t WHERE n < ? | 1", "SELECT a FROM t WHERE n <= ? | 1",
            "SELECT a FROM t WHERE m > ? AND n > ? | 2, 1", "SELECT a FROM t WHERE n >= ? | 1",
            "SELECT a FROM t WHERE name LIKE ? | 'a%'", "SELECT a FROM t WHERE name NOT LIKE ? | 'a%'",
            "SELECT a FROM t WHERE (a = ? AND c = ? AND (d = ? OR e IS NULL)) | 1, 2, 3",
            "SELECT a FROM t WHERE (1=1) | ", "SELECT a FROM t WHERE (1=0) | ", "SELECT a FROM t WHERE (1=1) | ",
            "SELECT a FROM t WHERE list = ? | NULL",
            "SELECT a FROM t WHERE a BETWEEN ? AND ? | 1, 9",
            "SELECT a FROM t WHERE id IN (SELECT id FROM done WHERE at > ?) AND k = ? | 5, 'v'",
            "SELECT a FROM t WHERE id IN (SELECT id FROM done WHERE at > ?) | 5",
            "(a = ? OR b = ?) | 1, 2", "x | ",
            .null, "error(Invalid): n: NULL cannot be compared with <",
            "error(Invalid): n: NULL cannot be used with LIKE",
            "SELECT a FROM t | ",
        ]))
    }

    @Test func insertUpdateAndDeleteForms() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local sub = b.select("a", "b"):from("old"):where("a > ?", 1)
            return {
                S(b.insert():into("t"):set_map({z = 1, a = sql.NULL, m = b.expr("NOW()")})),
                S(b.insert("t"):options("OR REPLACE"):prefix("WITH w AS (SELECT ?)", 0):columns("a", "b")
                    :values(1, b.expr("lower(?)", "X")):suffix("RETURNING id")),
                S(b.insert("new"):columns("a", "b"):select(sub)),
                S(b.update("t"):set("a", 1):set("at", b.expr("NOW()")):set("gone", nil):set("n", b.select("max(n)"):from("m"))
                    :set_map({z = "z", c = true}):where({id = 3}):order_by("id"):limit(1):offset(2):suffix("RETURNING id")),
                S(b.update():table("t"):set("a", 4):from("other"):where("t.id = other.id")),
                S(b.update("t"):set("a", 4):from_select(sub, "src"):where("t.id = src.id"):placeholder_format(b.dollar)),
                S(b.delete("t"):where("a = ?", 1):where(b.not_like({n = "x%"})):order_by("id DESC"):limit(10):suffix("RETURNING ?", 3)),
                S(b.delete():from("t")),
            }
            """)
        #expect(result.value == .array([
            "INSERT INTO t (a,m,z) VALUES (?,NOW(),?) | NULL, 1",
            "WITH w AS (SELECT ?) INSERT OR REPLACE INTO t (a,b) VALUES (?,lower(?)) RETURNING id | 0, 1, 'X'",
            "INSERT INTO new (a,b) SELECT a, b FROM old WHERE a > ? | 1",
            "UPDATE t SET a = ?, at = NOW(), gone = ?, n = (SELECT max(n) FROM m), c = ?, z = ? WHERE id = ? ORDER BY id LIMIT 1 OFFSET 2 RETURNING id | 1, NULL, true, 'z', 3",
            "UPDATE t SET a = ? FROM other WHERE t.id = other.id | 4",
            "UPDATE t SET a = $1 FROM (SELECT a, b FROM old WHERE a > $2) AS src WHERE t.id = src.id | 4, 1",
            "DELETE FROM t WHERE a = ? AND n NOT LIKE ? ORDER BY id DESC LIMIT 10 RETURNING ? | 1, 'x%', 3",
            "DELETE FROM t | ",
        ]))
    }

    @Test func incompleteStatementsReturnInvalid() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            return {
                S(b.select()), S(b.insert():values(1)), S(b.insert("t")), S(b.update():set("a", 1)), S(b.update("t")),
                S(b.delete()), S(b.select():from("t"):columns("a")),
            }
            """)
        #expect(result.value == .array([
            "error(Invalid): select needs at least one column",
            "error(Invalid): insert needs a table (insert(t) or into(t))",
            "error(Invalid): insert needs at least one row of values (values(...) or set_map) or a select",
            "error(Invalid): update needs a table (update(t) or table(t))",
            "error(Invalid): update needs at least one set(column, value) or set_map",
            "error(Invalid): delete needs a table (delete(t) or from(t))",
            "SELECT a FROM t | ",
        ]))
    }

    @Test func wrongArgumentTypesRaise() async {
        let result = await ModulesHarness.sqlBuilder().runBuilder("""
            local q = b.select("a"):from("t")
            local checks = {
                raises(function() return b.select("a", 1) end),
                raises(function() return b.insert(5) end),
                raises(function() return q:where(5) end),
                raises(function() return q:where(nil) end),
                raises(function() return q:where({[1] = "x"}) end),
                raises(function() return q:limit("x") end),
                raises(function() return q:limit(1.5) end),
                raises(function() return q:order_by("a", {}) end),
                raises(function() return q:placeholder_format("dollar") end),
                raises(function() return q.where("a = 1") end),
                raises(function() return b.eq() end),
                raises(function() return b.eq({a = 1}, {b = 2}) end),
                raises(function() return b.lt("a") end),
                raises(function() return b.and_({1}) end),
                raises(function() return b.or_("x") end),
                raises(function() return b.expr(1) end),
                raises(function() return b.insert("t"):select(b.insert("u")) end),
                raises(function() return b.update("t"):set_map({[1] = 2}) end),
                raises(function() return b.update("t"):from_select(q) end),
                raises(function() b.builder = 1 end),
                raises(function() b.select = nil end),
            }
            for i, message in ipairs(checks) do checks[i] = message:gsub("^.-:%d+: ", "") end
            checks[#checks + 1] = q.set == nil and b.update("t").join == nil and b.insert("t").where == nil and b.delete("t").set == nil
            return checks
            """)
        #expect(result.value == .array([
            "bad argument #2 to 'select' (string expected, got number)",
            "bad argument #1 to 'insert' (string expected, got number)",
            "bad argument #1 to 'where' (string, table or condition expected, got number)",
            "bad argument #1 to 'where' (string, table or condition expected, got nil)",
            "bad argument #1 to 'where' (column names (string keys) expected)",
            "bad argument #1 to 'limit' (number expected, got string)",
            "bad argument #1 to 'limit' (number has no integer representation)",
            "bad argument #2 to 'order_by' (string expected, got table)",
            "bad argument #1 to 'placeholder_format' (placeholder format expected, got string)",
            "bad argument #1 to 'where' (query builder expected, got string)",
            "bad argument #1 to 'eq' (exactly one table of column = value expected)",
            "bad argument #1 to 'eq' (exactly one table of column = value expected)",
            "bad argument #1 to 'lt' (exactly one table of column = value expected)",
            "bad argument #1 to 'and_' (element 1 must be a condition or a table, got number)",
            "bad argument #1 to 'or_' (table of conditions expected, got string)",
            "bad argument #1 to 'expr' (string expected, got number)",
            "bad argument #1 to 'select' (SelectBuilder expected, got userdata)",
            "bad argument #1 to 'set_map' (column names (string keys) expected)",
            "bad argument #2 to 'from_select' (string expected, got nil)",
            .string(readOnlyMessage), .string(readOnlyMessage), true,
        ]))
    }

    private var readOnlyMessage: String { "attempt to modify a read-only table" }
}
