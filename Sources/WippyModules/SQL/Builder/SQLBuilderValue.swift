import Synchronization
import WippyLua
import WippyRuntime

/// A value a Lua builder binds, as the builder keeps it between calls (lua-api-io §7.1).
///
/// Plain values are kept as they are. Lua tables bind NULL (no `IN` expansion), so they are kept as a bound
/// NULL. Any other value (`sql.as.*` typed values, other userdata, functions) is kept in the builder's
/// references table (its user value 1) under a process-wide unique id, and handed to the database as it
/// is: the database decides how it binds.
public enum SQLBuilderValue: Sendable, Equatable {
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string([UInt8])
    /// Bound as `sql.NULL` (a Lua table value).
    case null
    /// The value under this key of the builder's references table.
    case reference(Int64)

    /// Ids of references: unique across workers, so the references tables of two objects merge without clashes.
    static let nextReference = Atomic<Int64>(0)
}

/// Reads a builder native's Lua arguments into the model and pushes models' values back.
///
/// `references` is the stack index of the references table of the object being made. A method starts with
/// its builder's table there and copies it on the first write (a new reference or a merged condition), so
/// a builder never grows the table of the one it was made from: a base builder reused in a loop does not
/// keep every value its derived builders bound. `null` holds `sql.NULL` (the value the `sql` module handed
/// to ``SQLBuilderTable``).
final class SQLValueReader {
    let lua: Lua
    let references: Int32
    let null: Int32
    /// False while `references` is still the source object's table.
    private var owned: Bool

    /// Registry key of the `sql.NULL` value.
    static let nullKey = "wippy.sql.builder.null"

    private init(lua: Lua, references: Int32, null: Int32, owned: Bool) {
        self.lua = lua
        self.references = references
        self.null = null
        self.owned = owned
    }

    /// Pushes the references table (user value 1 of the object at `source`, copied on first write, or a new
    /// table) and `sql.NULL`.
    static func begin(_ lua: Lua, sharingWith source: Int32?) -> SQLValueReader {
        var owned = false
        if let source, lua.getUserValue(source, 1) == .table {
            // the source's table, until the first write
        } else {
            if source != nil { lua.pop() }
            lua.newTable()
            owned = true
        }
        let references = lua.top
        lua.rawGet(Lua.registryIndex, key: nullKey)
        return SQLValueReader(lua: lua, references: references, null: lua.top, owned: owned)
    }

    /// Replaces the source's table at `references` with a copy the new object owns.
    private func own() {
        guard !owned else { return }
        owned = true
        lua.newTable()
        lua.rawCopyFields(from: references, to: lua.top)
        lua.replace(at: references)
    }

    /// A bound value: `nil` for nil and `sql.NULL`.
    func value(at index: Int32) -> SQLBuilderValue? {
        if lua.rawEqual(index, null) { return nil }
        switch lua.type(at: index) {
        case .nil, .none: return nil
        case .boolean: return .boolean(lua.bool(at: index))
        case .number:
            if lua.isInteger(at: index), let integer = lua.integer(at: index) { return .integer(integer) }
            return .number(lua.number(at: index) ?? 0)
        case .string: return .string(lua.bytes(at: index) ?? [])
        case .table: return .null
        default:
            own()
            let id = SQLBuilderValue.nextReference.add(1, ordering: .relaxed).newValue
            lua.pushValue(at: index)
            lua.rawSet(references, index: id)
            return .reference(id)
        }
    }

    /// A bound value, or a condition or select builder written in place (its references merged into ours).
    func argument(at index: Int32) -> SQLArgument<SQLBuilderValue> {
        if let condition = SQLBuilderObjects.condition(at: index, in: lua) {
            mergeReferences(of: index)
            return .expression(condition)
        }
        if case .select(let select) = SQLBuilderObjects.statement(at: index, in: lua) {
            mergeReferences(of: index)
            return .expression(.select(select))
        }
        return value(at: index).map { .value($0) } ?? .null
    }

    /// The arguments at `first...last`.
    func arguments(_ first: Int32, _ last: Int32) -> [SQLArgument<SQLBuilderValue>] {
        guard first <= last else { return [] }
        return (first...last).map { argument(at: $0) }
    }

    /// The entries of the map at `index` (a table of column names to values), or the early return after
    /// raising when a key is not a string.
    func columnValues(at index: Int32, argument: Int32) -> Result<[SQLColumnValue<SQLBuilderValue>], EarlyReturn> {
        var entries: [SQLColumnValue<SQLBuilderValue>] = []
        lua.pushNil()
        while lua.next(index) {
            guard lua.type(at: -2) == .string, let column = lua.string(at: -2) else {
                lua.pop(2)
                return .failure(EarlyReturn(status: lua.argumentError(argument, "column names (string keys) expected")))
            }
            entries.append(SQLColumnValue(column, value(at: lua.top)))
            lua.pop()
        }
        return .success(entries)
    }

    /// The map at `index` as (column, argument) pairs, for `set_map`.
    func assignments(at index: Int32, argument: Int32) -> Result<[(column: String, value: SQLArgument<SQLBuilderValue>)], EarlyReturn> {
        var entries: [(column: String, value: SQLArgument<SQLBuilderValue>)] = []
        lua.pushNil()
        while lua.next(index) {
            guard lua.type(at: -2) == .string, let column = lua.string(at: -2) else {
                lua.pop(2)
                return .failure(EarlyReturn(status: lua.argumentError(argument, "column names (string keys) expected")))
            }
            entries.append((column, self.argument(at: lua.top)))
            lua.pop()
        }
        return .success(entries)
    }

    /// Copies the references of the object at `index` into ours.
    func mergeReferences(of index: Int32) {
        guard lua.getUserValue(index, 1) == .table else {
            lua.pop()
            return
        }
        let source = lua.top
        if !lua.rawEqual(source, references) {
            lua.pushNil()
            if lua.next(source) {
                lua.pop(2)
                own()
                lua.rawCopyFields(from: source, to: references)
            }
        }
        lua.pop()
    }

    // MARK: - Back to Lua

    /// Pushes a bound value (`nil`: `sql.NULL`).
    func push(_ value: SQLBuilderValue?) {
        switch value {
        case nil, .null?: lua.pushValue(at: null)
        case .boolean(let b)?: lua.push(b)
        case .integer(let i)?: lua.push(i)
        case .number(let n)?: lua.push(n)
        case .string(let s)?: lua.push(bytes: s)
        case .reference(let id)?: lua.rawGet(references, index: id)
        }
    }

    /// Pushes `sql` and the array of `arguments`.
    func push(_ query: SQLQuery<SQLBuilderValue>) {
        lua.push(query.sql)
        lua.newTable(arrayCapacity: Int32(query.arguments.count), fieldCapacity: 0)
        for (offset, argument) in query.arguments.enumerated() {
            push(argument)
            lua.rawSet(-2, index: Int64(offset + 1))
        }
    }
}
