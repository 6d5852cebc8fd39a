import WippyLua
import WippyRuntime

/// The methods only some builder kinds have (§7.1 table): joins, HAVING, GROUP BY, DISTINCT on selects;
/// INTO, VALUES, options, prefixes and a source select on inserts; SET and FROM on updates.
extension SQLBuilderNatives {
    /// `from(t)`: the table of a select or delete, the FROM table of an update.
    static let from: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            switch string(reader.lua, at: 2) {
            case .failure(let early): return early
            case .success(let table):
                switch statement {
                case .select(var s): s.table = table; statement = .select(s)
                case .delete(var s): s.table = table; statement = .delete(s)
                case .update(var s): s.source = .table(table); statement = .update(s)
                case .insert(var s): s.table = table; statement = .insert(s)
                }
            }
            return nil
        }
    }

    /// `join(clause, args...)` and friends: `<keyword> <clause>` with its bound values.
    static let join: LuaNativeFunction = { state in addJoin(Lua(state!), "JOIN ") }
    static let leftJoin: LuaNativeFunction = { state in addJoin(Lua(state!), "LEFT JOIN ") }
    static let rightJoin: LuaNativeFunction = { state in addJoin(Lua(state!), "RIGHT JOIN ") }
    static let innerJoin: LuaNativeFunction = { state in addJoin(Lua(state!), "INNER JOIN ") }

    private static func addJoin(_ lua: Lua, _ keyword: String) -> Int32 {
        derive(lua) { statement, reader, last in
            switch string(reader.lua, at: 2) {
            case .failure(let early): return early
            case .success(let clause):
                let join = SQLExpression<SQLBuilderValue>.text(keyword + clause, reader.arguments(3, last))
                statement.editSelect { $0.joins.append(join) }
            }
            return nil
        }
    }

    /// `having(cond, args...)` (select), like `where`.
    static let having: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch condition(reader, at: 2, arguments: 3, last) {
            case .failure(let early): return early
            case .success(let condition?): statement.editSelect { $0.havings.append(condition) }
            case .success(nil): break
            }
            return nil
        }
    }

    /// `group_by(col...)` (select).
    static let groupBy: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch strings(reader.lua, from: 2, to: last) {
            case .failure(let early): return early
            case .success(let columns): statement.editSelect { $0.groupBy += columns }
            }
            return nil
        }
    }

    /// `columns(col...)`: more result columns of a select, more columns of an insert.
    static let columns: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch strings(reader.lua, from: 2, to: last) {
            case .failure(let early): return early
            case .success(let columns):
                statement.editSelect { $0.columns += columns }
                statement.editInsert { $0.columns += columns }
            }
            return nil
        }
    }

    /// `distinct()` (select).
    static let distinct: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, _, _ in
            statement.editSelect { $0.distinct = true }
            return nil
        }
    }

    // MARK: - Insert

    /// `into(t)` (insert).
    static let into: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            switch string(reader.lua, at: 2) {
            case .failure(let early): return early
            case .success(let table): statement.editInsert { $0.table = table }
            }
            return nil
        }
    }

    /// `values(v...)` (insert): one row per call; nil and `sql.NULL` bind NULL, a condition or select is
    /// written in place.
    static let values: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            let row = reader.arguments(2, last)
            statement.editInsert { $0.rows.append(row) }
            return nil
        }
    }

    /// `prefix(sql, args...)` (insert): text before INSERT.
    static let prefix: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch text(reader, at: 2, arguments: 3, last) {
            case .failure(let early): return early
            case .success(let part): statement.editInsert { $0.prefixes.append(part) }
            }
            return nil
        }
    }

    /// `options(str...)` (insert): words between INSERT and INTO.
    static let options: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch strings(reader.lua, from: 2, to: last) {
            case .failure(let early): return early
            case .success(let words): statement.editInsert { $0.options += words }
            }
            return nil
        }
    }

    /// `select(select_builder)` (insert): rows from a query.
    static let insertSelect: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            guard case .select(let select) = SQLBuilderObjects.statement(at: 2, in: reader.lua) else {
                return EarlyReturn(status: reader.lua.typeError(2, expected: "SelectBuilder"))
            }
            reader.mergeReferences(of: 2)
            statement.editInsert { $0.select = select }
            return nil
        }
    }

    /// `set_map(tbl)`: an insert's columns and single row, or an update's assignments (keys sorted).
    static let setMap: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            guard reader.lua.type(at: 2) == .table else { return EarlyReturn(status: reader.lua.typeError(2, expected: "table")) }
            switch reader.assignments(at: 2, argument: 2) {
            case .failure(let early): return early
            case .success(let entries):
                statement.editInsert { $0.setMap(entries) }
                statement.editUpdate { $0.setMap(entries) }
            }
            return nil
        }
    }

    // MARK: - Update

    /// `table(t)` (update).
    static let table: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            switch string(reader.lua, at: 2) {
            case .failure(let early): return early
            case .success(let table): statement.editUpdate { $0.table = table }
            }
            return nil
        }
    }

    /// `set(col, v)` (update): v may be nil / `sql.NULL`, a value, or a condition (`expr("NOW()")`) or select
    /// written in place.
    static let set: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            switch string(reader.lua, at: 2) {
            case .failure(let early): return early
            case .success(let column):
                let value = reader.argument(at: 3)
                statement.editUpdate { $0.assignments.append((column, value)) }
            }
            return nil
        }
    }

    /// `from_select(sel, alias)` (update): `FROM (SELECT ...) AS alias`.
    static let fromSelect: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            guard case .select(let select) = SQLBuilderObjects.statement(at: 2, in: reader.lua) else {
                return EarlyReturn(status: reader.lua.typeError(2, expected: "SelectBuilder"))
            }
            switch string(reader.lua, at: 3) {
            case .failure(let early): return early
            case .success(let alias):
                reader.mergeReferences(of: 2)
                statement.editUpdate { $0.source = .select(select, alias: alias) }
            }
            return nil
        }
    }
}

extension BuiltStatement {
    /// Runs `body` on the select this statement is, if it is one.
    mutating func editSelect(_ body: (inout SQLSelect<Value>) -> Void) {
        if case .select(var s) = self {
            body(&s)
            self = .select(s)
        }
    }

    mutating func editInsert(_ body: (inout SQLInsert<Value>) -> Void) {
        if case .insert(var s) = self {
            body(&s)
            self = .insert(s)
        }
    }

    mutating func editUpdate(_ body: (inout SQLUpdate<Value>) -> Void) {
        if case .update(var s) = self {
            body(&s)
            self = .update(s)
        }
    }
}
