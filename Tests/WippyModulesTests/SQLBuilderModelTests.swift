import Testing
import WippyModules

/// The pure builder model (no Lua): SQL text and bound values of every statement form, conditions and
/// placeholder formats.
@Suite struct SQLBuilderModelTests {
    typealias Expression = SQLExpression<Int>

    private func render(_ statement: BuiltStatement<Int>, _ format: SQLPlaceholderFormat? = nil) throws -> (String, [Int?]) {
        let query = try statement.render(format: format)
        return (query.sql, query.arguments)
    }

    @Test func selectWritesEveryClauseInOrder() throws {
        var select = SQLSelect<Int>(columns: ["id", "status"])
        select.distinct = true
        select.table = "tasks t"
        select.joins = [.text("JOIN users u ON u.id = t.user_id AND u.level > ?", [.value(1)]), .text("LEFT JOIN x ON x.id = t.id", [])]
        select.wheres = [.equal([SQLColumnValue("status", 2), SQLColumnValue("kind", nil)], negated: false), .text("t.n > ?", [.value(3)])]
        select.groupBy = ["status", "kind"]
        select.havings = [.text("count(*) > ?", [.value(4)])]
        select.orderBy = ["created_at DESC", "id"]
        select.limit = 100
        select.offset = 5
        select.suffixes = [.text("FOR UPDATE", [])]
        let (sql, args) = try render(.select(select))
        #expect(sql == "SELECT DISTINCT id, status FROM tasks t JOIN users u ON u.id = t.user_id AND u.level > ? "
            + "LEFT JOIN x ON x.id = t.id WHERE kind IS NULL AND status = ? AND t.n > ? GROUP BY status, kind "
            + "HAVING count(*) > ? ORDER BY created_at DESC, id LIMIT 100 OFFSET 5 FOR UPDATE")
        #expect(args == [1, 2, 3, 4])
    }

    @Test func placeholderFormatsNumberEveryQuestionMarkOnce() throws {
        var select = SQLSelect<Int>(columns: ["a"])
        select.table = "t"
        select.wheres = [.text("a = ? OR b = ?", [.value(1), .value(2)]), .text("c ?? 'k' AND d = ?", [.value(3)])]
        let expected: [(SQLPlaceholderFormat, String)] = [
            (.question, "SELECT a FROM t WHERE a = ? OR b = ? AND c ?? 'k' AND d = ?"),
            (.dollar, "SELECT a FROM t WHERE a = $1 OR b = $2 AND c ? 'k' AND d = $3"),
            (.colon, "SELECT a FROM t WHERE a = :1 OR b = :2 AND c ? 'k' AND d = :3"),
            (.at, "SELECT a FROM t WHERE a = @p1 OR b = @p2 AND c ? 'k' AND d = @p3"),
        ]
        for (format, sql) in expected {
            select.placeholderFormat = format
            #expect(try render(.select(select)).0 == sql)
        }
        // An override (a PostgreSQL handle) wins over the builder's own format.
        select.placeholderFormat = .colon
        #expect(try render(.select(select), .dollar).0 == "SELECT a FROM t WHERE a = $1 OR b = $2 AND c ? 'k' AND d = $3")
    }

    @Test func equalityAndComparisonMapsSortTheirColumns() throws {
        let cases: [(Expression, String, [Int?])] = [
            (.equal([SQLColumnValue("b", 1), SQLColumnValue("a", 2)], negated: false), "a = ? AND b = ?", [2, 1]),
            (.equal([SQLColumnValue("b", 1), SQLColumnValue("a", nil)], negated: true), "a IS NOT NULL AND b <> ?", [1]),
            (.equal([], negated: false), "(1=1)", []),
            (.compare([SQLColumnValue("z", 1), SQLColumnValue("y", 2)], .less), "y < ? AND z < ?", [2, 1]),
            (.compare([SQLColumnValue("n", 1)], .lessOrEqual), "n <= ?", [1]),
            (.compare([SQLColumnValue("n", 1)], .greater), "n > ?", [1]),
            (.compare([SQLColumnValue("n", 1)], .greaterOrEqual), "n >= ?", [1]),
            (.like([SQLColumnValue("name", 1)], negated: false), "name LIKE ?", [1]),
            (.like([SQLColumnValue("name", 1)], negated: true), "name NOT LIKE ?", [1]),
            (.all([.text("a = ?", [.value(1)]), .equal([SQLColumnValue("b", 2)], negated: false)]), "(a = ? AND b = ?)", [1, 2]),
            (.any([.text("a = ?", [.value(1)]), .any([.text("b", []), .text("c", [])])]), "(a = ? OR (b OR c))", [1]),
            (.all([]), "(1=1)", []),
            (.any([]), "(1=0)", []),
            (.text("a BETWEEN ? AND ?", [.value(1), .null]), "a BETWEEN ? AND ?", [1, nil]),
        ]
        for (expression, sql, args) in cases {
            var writer = SQLWriter<Int>()
            #expect(try writer.write(expression) == sql)
            #expect(writer.arguments == args)
        }
    }

    @Test func nullCannotBeComparedOrLiked() {
        var writer = SQLWriter<Int>()
        #expect(throws: SQLBuilderError.self) { try writer.write(.compare([SQLColumnValue("n", nil)], .less)) }
        #expect(throws: SQLBuilderError.self) { try writer.write(.like([SQLColumnValue("n", nil)], negated: false)) }
    }

    @Test func expressionArgumentsAreWrittenInPlace() throws {
        var sub = SQLSelect<Int>(columns: ["id"])
        sub.table = "done"
        sub.wheres = [.text("at > ?", [.value(7)])]
        var writer = SQLWriter<Int>()
        let sql = try writer.write(.text("a = ? AND id IN (?) AND b ?? c AND d = ?", [
            .value(1), .expression(.select(sub)), .value(2),
        ]))
        #expect(sql == "a = ? AND id IN (SELECT id FROM done WHERE at > ?) AND b ?? c AND d = ?")
        #expect(writer.arguments == [1, 7, 2])
        var extra = SQLWriter<Int>()
        #expect(throws: SQLBuilderError.self) { try extra.write(.text("a", [.expression(.text("x", []))])) }
    }

    @Test func insertWritesRowsOptionsPrefixesAndSuffixes() throws {
        var insert = SQLInsert<Int>(table: "tasks")
        insert.columns = ["id", "status", "at"]
        insert.rows = [[.value(1), .null, .expression(.text("NOW()", []))], [.value(2), .value(3), .expression(.text("?", [.value(4)]))]]
        insert.options = ["OR", "REPLACE"]
        insert.prefixes = [.text("WITH x AS (SELECT ?)", [.value(0)])]
        insert.suffixes = [.text("RETURNING id", [])]
        insert.placeholderFormat = .dollar
        let (sql, args) = try render(.insert(insert))
        #expect(sql == "WITH x AS (SELECT $1) INSERT OR REPLACE INTO tasks (id,status,at) VALUES ($2,$3,NOW()),($4,$5,$6) RETURNING id")
        #expect(args == [0, 1, nil, 2, 3, 4])
    }

    @Test func insertFromSelectAndSetMap() throws {
        var sub = SQLSelect<Int>(columns: ["a", "b"])
        sub.table = "old"
        sub.wheres = [.text("a > ?", [.value(1)])]
        var insert = SQLInsert<Int>(table: "new")
        insert.columns = ["a", "b"]
        insert.select = sub
        #expect(try render(.insert(insert)) == ("INSERT INTO new (a,b) SELECT a, b FROM old WHERE a > ?", [1]))
        var mapped = SQLInsert<Int>(table: "t")
        mapped.rows = [[.value(9)]]
        mapped.setMap([("z", .value(1)), ("a", .null)])
        #expect(try render(.insert(mapped)) == ("INSERT INTO t (a,z) VALUES (?,?)", [nil, 1]))
    }

    @Test func updateWritesAssignmentsSourcesAndTail() throws {
        var sub = SQLSelect<Int>(columns: ["max(n)"])
        sub.table = "m"
        var update = SQLUpdate<Int>(table: "t")
        update.assignments = [("a", .value(1)), ("at", .expression(.text("NOW()", []))), ("n", .expression(.select(sub)))]
        update.setMap([("z", .value(2)), ("b", .null)])
        update.source = .table("other")
        update.wheres = [.equal([SQLColumnValue("id", 3)], negated: false)]
        update.orderBy = ["id"]
        update.limit = 1
        update.offset = 0
        update.suffixes = [.text("RETURNING id", [])]
        #expect(try render(.update(update)) == (
            "UPDATE t SET a = ?, at = NOW(), n = (SELECT max(n) FROM m), b = ?, z = ? FROM other WHERE id = ? ORDER BY id LIMIT 1 OFFSET 0 RETURNING id",
            [1, nil, 2, 3]))
        var fromSelect = SQLUpdate<Int>(table: "t")
        var source = SQLSelect<Int>(columns: ["id"])
        source.table = "s"
        source.wheres = [.text("k = ?", [.value(5)])]
        fromSelect.assignments = [("a", .value(4))]
        fromSelect.source = .select(source, alias: "src")
        fromSelect.wheres = [.text("t.id = src.id", [])]
        #expect(try render(.update(fromSelect), .dollar) == (
            "UPDATE t SET a = $1 FROM (SELECT id FROM s WHERE k = $2) AS src WHERE t.id = src.id", [4, 5]))
    }

    @Test func deleteWritesItsClauses() throws {
        var delete = SQLDelete<Int>(table: "t")
        delete.wheres = [.text("a = ?", [.value(1)]), .like([SQLColumnValue("n", 2)], negated: true)]
        delete.orderBy = ["id DESC"]
        delete.limit = 10
        delete.suffixes = [.text("RETURNING ?", [.value(3)])]
        delete.placeholderFormat = .at
        #expect(try render(.delete(delete)) == ("DELETE FROM t WHERE a = @p1 AND n NOT LIKE @p2 ORDER BY id DESC LIMIT 10 RETURNING @p3", [1, 2, 3]))
    }

    @Test func incompleteStatementsAreErrors() {
        let incomplete: [BuiltStatement<Int>] = [
            .select(SQLSelect()), .insert(SQLInsert()), .insert(SQLInsert(table: "t")), .update(SQLUpdate()),
            .update(SQLUpdate(table: "t")), .delete(SQLDelete()), .delete(SQLDelete(table: "")),
        ]
        for statement in incomplete {
            #expect(throws: SQLBuilderError.self) { try statement.render() }
        }
    }

    @Test func emptyWherePartsAreSkipped() throws {
        var select = SQLSelect<Int>(columns: ["a"])
        select.table = "t"
        select.wheres = [.text("", []), .text("b = ?", [.value(1)])]
        #expect(try render(.select(select)) == ("SELECT a FROM t WHERE b = ?", [1]))
        select.wheres = [.text("", [])]
        #expect(try render(.select(select)) == ("SELECT a FROM t", []))
    }
}
