public import WippyCore
public import WippyLua
public import WippyResources
import WippyRuntime

/// A value of `sql.NULL` or `sql.as.*`: bound as it is, whatever Lua would make of it.
final class SQLTypedValue: Sendable {
    let value: SQLValue
    init(_ value: SQLValue) { self.value = value }
}

/// Between Lua values and ``SQLValue``: statement parameters in, rows and results out (lua-api-io §7.1).
public enum SQLLuaValues {
    /// True when the value at `index` is `sql.NULL` (or `sql.as.null()`): what the query builder renders
    /// as `IS NULL`.
    public static func isNull(_ lua: Lua, at index: Int32) -> Bool {
        typed(lua, at: index)?.value == .null
    }

    /// The value of `sql.NULL` / `sql.as.*` at `index`, if it is one.
    public static func typedValue(_ lua: Lua, at index: Int32) -> SQLValue? { typed(lua, at: index)?.value }

    static func typed(_ lua: Lua, at index: Int32) -> SQLTypedValue? {
        RetainedObject.object(at: index, tag: ModuleTags.sqlValue, in: lua, as: SQLTypedValue.self)
    }

    static func pushTyped(_ value: SQLValue, state: LuaWorkerState, on lua: Lua) {
        RetainedObject.push(SQLTypedValue(value), tag: ModuleTags.sqlValue, userValues: 0, state: state, on: lua)
    }

    /// One Lua value as a parameter: integer, float, boolean, string, `sql.NULL`/`nil` and `sql.as.*` as
    /// themselves; any other value (table, function, other userdata) binds NULL, as in Wippy.
    public static func value(_ lua: Lua, at index: Int32) -> SQLValue {
        switch lua.type(at: index) {
        case .number:
            if lua.isInteger(at: index), let number = lua.integer(at: index) { return .integer(number) }
            return .real(lua.number(at: index) ?? 0)
        case .boolean: return .bool(lua.bool(at: index))
        case .string:
            return lua.withBytes(at: index) { bytes -> SQLValue in
                if let text = UTF8Text.string(bytes) { return .text(text) }
                return .blob(Array(bytes))
            } ?? .null
        case .userdata: return typed(lua, at: index)?.value ?? .null
        default: return .null
        }
    }

    /// The parameters at `index`: nil (none) or a table read as an array `1..maxn`, holes as NULL.
    ///
    /// - Throws: `Invalid` "parameters must be a table, got X".
    public static func parameters(_ lua: Lua, at index: Int32) throws(WippyError) -> [SQLValue] {
        switch lua.type(at: index) {
        case .none, .nil: return []
        case .table: break
        default: throw WippyError.invalid("parameters must be a table, got \(lua.typeName(at: index))")
        }
        let table = lua.absolute(index)
        var count = lua.rawLength(at: table)
        // The border may stop at a hole: look for larger integer keys.
        lua.pushNil()
        while lua.next(table) {
            if lua.isInteger(at: -2), let key = lua.integer(at: -2), key > count { count = Int(key) }
            lua.pop()
        }
        var values: [SQLValue] = []
        values.reserveCapacity(count)
        for position in 0..<count {
            lua.rawGet(table, index: Int64(position + 1))
            values.append(value(lua, at: -1))
            lua.pop()
        }
        return values
    }

    static func push(_ value: SQLValue, on lua: Lua) {
        switch value {
        case .null: lua.pushNil()
        case .integer(let number): lua.push(number)
        case .real(let number): lua.push(number)
        case .text(let text): lua.push(text)
        case .blob(let bytes): lua.push(bytes: bytes)
        case .bool(let flag): lua.push(flag)
        }
    }

    /// Rows as an array of tables keyed by column name; NULL leaves the key out; of duplicate names the
    /// last wins.
    public static func push(_ rows: SQLRows, on lua: Lua) {
        lua.newTable(arrayCapacity: Int32(rows.rows.count), fieldCapacity: 0)
        let columns = rows.columns
        for (number, row) in rows.rows.enumerated() {
            lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(columns.count))
            for (column, value) in zip(columns, row) {
                if case .null = value { continue }
                push(value, on: lua)
                lua.rawSet(-2, key: column)
            }
            lua.rawSet(-2, index: Int64(number + 1))
        }
    }

    public static func push(_ result: SQLExecResult, on lua: Lua) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 2)
        lua.push(result.lastInsertID)
        lua.rawSet(-2, key: "last_insert_id")
        lua.push(result.rowsAffected)
        lua.rawSet(-2, key: "rows_affected")
    }
}
