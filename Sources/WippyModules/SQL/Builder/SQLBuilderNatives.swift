import WippyCore
import WippyLua
import WippyRuntime

/// The constructors of `sql.builder` (`select`, `insert`, `update`, `delete`) and the methods every builder
/// kind shares. Every method returns a new builder; the one it is called on is never changed (§7.1).
enum SQLBuilderNatives {
    // MARK: - Constructors

    /// `select(col...)`: column names, strings only.
    static let select: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let columns: [String]
        switch strings(lua, from: 1, to: lua.top) {
        case .failure(let early): return early.status
        case .success(let names): columns = names
        }
        return construct(lua, .select(SQLSelect(columns: columns)))
    }

    static let insert: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch optionalString(lua, at: 1) {
        case .failure(let early): return early.status
        case .success(let table): return construct(lua, .insert(SQLInsert(table: table)))
        }
    }

    static let update: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch optionalString(lua, at: 1) {
        case .failure(let early): return early.status
        case .success(let table): return construct(lua, .update(SQLUpdate(table: table)))
        }
    }

    static let delete: LuaNativeFunction = { state in
        let lua = Lua(state!)
        switch optionalString(lua, at: 1) {
        case .failure(let early): return early.status
        case .success(let table): return construct(lua, .delete(SQLDelete(table: table)))
        }
    }

    // MARK: - Shared methods

    /// `where(cond, args...)` (select, update, delete).
    static let whereClause: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch condition(reader, at: 2, arguments: 3, last) {
            case .failure(let early): return early
            case .success(let condition?): statement.wheres.append(condition)
            case .success(nil): break
            }
            return nil
        }
    }

    /// `order_by(col...)` (select, update, delete).
    static let orderBy: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch strings(reader.lua, from: 2, to: last) {
            case .failure(let early): return early
            case .success(let columns): statement.orderBy += columns
            }
            return nil
        }
    }

    /// `limit(n)` (select, update, delete); a negative count is 0.
    static let limit: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            switch count(reader.lua, at: 2) {
            case .failure(let early): return early
            case .success(let n): statement.limit = n
            }
            return nil
        }
    }

    /// `offset(n)` (select, update, delete); a negative count is 0.
    static let offset: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            switch count(reader.lua, at: 2) {
            case .failure(let early): return early
            case .success(let n): statement.offset = n
            }
            return nil
        }
    }

    /// `suffix(sql, args...)` (every kind).
    static let suffix: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, last in
            switch text(reader, at: 2, arguments: 3, last) {
            case .failure(let early): return early
            case .success(let part): statement.suffixes.append(part)
            }
            return nil
        }
    }

    /// `placeholder_format(fmt)` with one of `builder.question|dollar|colon|at`.
    static let placeholderFormat: LuaNativeFunction = { state in
        derive(Lua(state!)) { statement, reader, _ in
            guard let format = SQLBuilderObjects.format(at: 2, in: reader.lua) else {
                return EarlyReturn(status: reader.lua.typeError(2, expected: "placeholder format"))
            }
            statement.placeholderFormat = format
            return nil
        }
    }

    /// `to_sql()` → `sql, args` in the builder's own format, or `nil, INVALID`.
    static let toSQL: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let statement = SQLBuilderObjects.statement(at: 1, in: lua) else { return lua.typeError(1, expected: "query builder") }
        lua.top = 1
        let reader = SQLValueReader.begin(lua, sharingWith: 1)
        do throws(SQLBuilderError) {
            reader.push(try statement.render())
            return 2
        } catch {
            return LuaWorkerState.of(lua).fail(.invalid(error.message), on: lua)
        }
    }

    // MARK: - Helpers

    /// Pushes a new builder of `statement` with a new references table.
    static func construct(_ lua: Lua, _ statement: BuiltStatement<SQLBuilderValue>) -> Int32 {
        lua.newTable()
        SQLBuilderObjects.push(statement, references: -1, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    /// The body of a method: reads the builder at 1, lets `change` edit a copy of its statement (reading
    /// arguments 2...`last` with the reader) and pushes the new builder, which shares the references table.
    /// A `change` that returns an early return has raised.
    static func derive(
        _ lua: Lua, _ change: (inout BuiltStatement<SQLBuilderValue>, SQLValueReader, Int32) -> EarlyReturn?
    ) -> Int32 {
        guard var statement = SQLBuilderObjects.statement(at: 1, in: lua) else { return lua.typeError(1, expected: "query builder") }
        let last = lua.top
        // Fixed arguments are read up to index 3: keep the reader's values above them.
        if last < 3 { lua.top = 3 }
        let reader = SQLValueReader.begin(lua, sharingWith: 1)
        if let early = change(&statement, reader, last) { return early.status }
        SQLBuilderObjects.push(statement, references: reader.references, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    /// The strings at `first...last` (column names), raising for anything else.
    static func strings(_ lua: Lua, from first: Int32, to last: Int32) -> Result<[String], EarlyReturn> {
        guard first <= last else { return .success([]) }
        var names: [String] = []
        for index in first...last {
            guard lua.type(at: index) == .string, let name = lua.string(at: index) else {
                return .failure(EarlyReturn(status: lua.typeError(index, expected: "string")))
            }
            names.append(name)
        }
        return .success(names)
    }

    /// The string at `index`, raising for anything else.
    static func string(_ lua: Lua, at index: Int32) -> Result<String, EarlyReturn> {
        guard lua.type(at: index) == .string, let value = lua.string(at: index) else {
            return .failure(EarlyReturn(status: lua.typeError(index, expected: "string")))
        }
        return .success(value)
    }

    /// A string or nothing (a table name a constructor may leave for later).
    static func optionalString(_ lua: Lua, at index: Int32) -> Result<String?, EarlyReturn> {
        if lua.isNil(at: index) { return .success(nil) }
        return string(lua, at: index).map { $0 }
    }

    /// A row count for LIMIT/OFFSET: an integral number, negatives clamped to 0.
    static func count(_ lua: Lua, at index: Int32) -> Result<UInt64, EarlyReturn> {
        lua.integerArgument(index).map { UInt64(max($0, 0)) }
    }

    /// SQL text at `index` with the bound values at `first...last`.
    static func text(
        _ reader: SQLValueReader, at index: Int32, arguments first: Int32, _ last: Int32
    ) -> Result<SQLExpression<SQLBuilderValue>, EarlyReturn> {
        string(reader.lua, at: index).map { .text($0, reader.arguments(first, last)) }
    }

    /// A `where`/`having` condition: SQL text with `?` and the values at `first...last`, a table (an
    /// equality map), or a condition. `nil` for empty text (ignored).
    static func condition(
        _ reader: SQLValueReader, at index: Int32, arguments first: Int32, _ last: Int32
    ) -> Result<SQLExpression<SQLBuilderValue>?, EarlyReturn> {
        let lua = reader.lua
        switch lua.type(at: index) {
        case .string:
            let sql = lua.string(at: index) ?? ""
            return .success(sql.isEmpty ? nil : .text(sql, reader.arguments(first, last)))
        case .table:
            return reader.columnValues(at: index, argument: index).map { .equal($0, negated: false) }
        default:
            guard let condition = SQLBuilderObjects.condition(at: index, in: lua) else {
                return .failure(EarlyReturn(status: lua.typeError(index, expected: "string, table or condition")))
            }
            reader.mergeReferences(of: index)
            return .success(condition)
        }
    }
}
