import WippyCore
import WippyLua
import WippyRuntime

/// The condition constructors of `sql.builder` (`expr`, `eq`, `not_eq`, `lt`, `lte`, `gt`, `gte`, `like`,
/// `not_like`, `and_`, `or_`) and the Sqlizer method `to_sql` (§7.1).
enum SQLConditionNatives {
    /// `expr(sql, args...)`: SQL text with `?` placeholders; a condition or select argument is written in place.
    static let expr: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .string, let sql = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        let last = lua.top
        let reader = SQLValueReader.begin(lua, sharingWith: nil)
        return push(.text(sql, reader.arguments(2, last)), reader)
    }

    static let eq: LuaNativeFunction = { state in map(Lua(state!)) { .equal($0, negated: false) } }
    static let notEq: LuaNativeFunction = { state in map(Lua(state!)) { .equal($0, negated: true) } }
    static let lt: LuaNativeFunction = { state in map(Lua(state!)) { .compare($0, .less) } }
    static let lte: LuaNativeFunction = { state in map(Lua(state!)) { .compare($0, .lessOrEqual) } }
    static let gt: LuaNativeFunction = { state in map(Lua(state!)) { .compare($0, .greater) } }
    static let gte: LuaNativeFunction = { state in map(Lua(state!)) { .compare($0, .greaterOrEqual) } }
    static let like: LuaNativeFunction = { state in map(Lua(state!)) { .like($0, negated: false) } }
    static let notLike: LuaNativeFunction = { state in map(Lua(state!)) { .like($0, negated: true) } }

    /// `and_({conds})`: the conditions (or equality maps) joined by AND, in parentheses.
    static let and: LuaNativeFunction = { state in junction(Lua(state!)) { .all($0) } }
    /// `or_({conds})`: joined by OR.
    static let or: LuaNativeFunction = { state in junction(Lua(state!)) { .any($0) } }

    /// `cond:to_sql()` → `sql, args` (with `?` placeholders), or `nil, INVALID`.
    static let toSQL: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let expression = SQLBuilderObjects.condition(at: 1, in: lua) else { return lua.typeError(1, expected: "condition") }
        lua.top = 1
        let reader = SQLValueReader.begin(lua, sharingWith: 1)
        var writer = SQLWriter<SQLBuilderValue>()
        do throws(SQLBuilderError) {
            let sql = try writer.write(expression)
            reader.push(SQLQuery(sql: sql, arguments: writer.arguments))
            return 2
        } catch {
            return LuaWorkerState.of(lua).fail(.invalid(error.message), on: lua)
        }
    }

    // MARK: - Helpers

    private static func push(_ expression: SQLExpression<SQLBuilderValue>, _ reader: SQLValueReader) -> Int32 {
        SQLBuilderObjects.push(expression, references: reader.references, state: LuaWorkerState.of(reader.lua), on: reader.lua)
        return 1
    }

    /// A map condition: exactly one table argument of column names to values.
    private static func map(
        _ lua: Lua, _ make: ([SQLColumnValue<SQLBuilderValue>]) -> SQLExpression<SQLBuilderValue>
    ) -> Int32 {
        guard lua.top == 1, lua.type(at: 1) == .table else {
            return lua.argumentError(1, "exactly one table of column = value expected")
        }
        let reader = SQLValueReader.begin(lua, sharingWith: nil)
        switch reader.columnValues(at: 1, argument: 1) {
        case .failure(let early): return early.status
        case .success(let entries): return push(make(entries), reader)
        }
    }

    /// `and_`/`or_`: an array of conditions or equality maps.
    private static func junction(
        _ lua: Lua, _ make: ([SQLExpression<SQLBuilderValue>]) -> SQLExpression<SQLBuilderValue>
    ) -> Int32 {
        guard lua.type(at: 1) == .table else { return lua.typeError(1, expected: "table of conditions") }
        lua.top = 1
        let reader = SQLValueReader.begin(lua, sharingWith: nil)
        var parts: [SQLExpression<SQLBuilderValue>] = []
        let count = lua.rawLength(at: 1)
        for position in 0..<count {
            lua.rawGet(1, index: Int64(position + 1))
            let element = lua.top
            if let condition = SQLBuilderObjects.condition(at: element, in: lua) {
                reader.mergeReferences(of: element)
                parts.append(condition)
            } else if lua.type(at: element) == .table {
                switch reader.columnValues(at: element, argument: 1) {
                case .failure(let early): return early.status
                case .success(let entries): parts.append(.equal(entries, negated: false))
                }
            } else {
                let got = lua.typeName(at: element)
                return lua.argumentError(1, "element \(position + 1) must be a condition or a table, got \(got)")
            }
            lua.pop()
        }
        return push(make(parts), reader)
    }
}
