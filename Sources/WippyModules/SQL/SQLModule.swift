import WippyCodecs
import WippyCore
public import WippyLua
import WippyResources
public import WippyRuntime

/// The `sql` module (lua-api-io §7.1, §11.1, §11.2): `sql.get(id)` acquires a `db.sql.sqlite` or
/// `db.sql.postgres` resource as a `DB` handle; DB, Transaction and Statement methods run statements with
/// the driver's own placeholders (`?` on SQLite, `$1` on PostgreSQL).
///
/// Every call that waits suspends only the calling process (the backends report through completions).
/// SQLite reads that cannot wait run inline (see ``WippyResources/SQLiteSQLDatabase``). Handles are
/// released, statements closed and open transactions rolled back when the invocation ends.
///
/// The query builder is another part: pass its table maker as `builder` (called with `sql.NULL` on top of the
/// stack) and it is set as `sql.builder`
/// (its `run_with(db)` calls `db:query` / `db:execute` like any Lua code).
public struct SQLModule: LuaModule {
    public let name = "sql"
    public let classes: Set<ModuleClass> = [.io]
    /// Pushes the `sql.builder` table; nil leaves `sql.builder` out.
    let builder: (@Sendable (Lua, LuaWorkerState) -> Void)?

    public init(builder: (@Sendable (Lua, LuaWorkerState) -> Void)? = nil) {
        self.builder = builder
    }

    public func load(into lua: Lua, state: LuaWorkerState) {
        state.registerType(
            ModuleTags.sqlDatabase, name: "sql.DB", methods: SQLDatabaseObject.methods,
            metamethods: [("__gc", SQLDatabaseObject.collect), ("__tostring", SQLDatabaseObject.toString)])
        state.registerType(
            ModuleTags.sqlTransaction, name: "sql.Transaction", methods: SQLTransactionObject.methods,
            metamethods: [("__gc", SQLTransactionObject.collect)])
        state.registerType(
            ModuleTags.sqlStatement, name: "sql.Statement", methods: SQLStatementObject.methods,
            metamethods: [("__gc", SQLStatementObject.collect)])
        state.registerType(
            ModuleTags.sqlValue, name: "sql.Value", methods: [],
            metamethods: [("__gc", Self.collectValue), ("__tostring", Self.valueToString)])

        lua.newTable(arrayCapacity: 0, fieldCapacity: 8)
        let module = lua.top
        lua.setFunctions([("get", Self.get)], in: module)
        SQLLuaValues.pushTyped(.null, state: state, on: lua)
        lua.rawSet(module, key: "NULL")
        Self.constants(
            [("POSTGRES", "postgres"), ("MYSQL", "mysql"), ("SQLITE", "sqlite"), ("UNKNOWN", "unknown")], on: lua)
        lua.rawSet(module, key: "type")
        Self.constants(
            [
                ("DEFAULT", "default"), ("READ_UNCOMMITTED", "read_uncommitted"), ("READ_COMMITTED", "read_committed"),
                ("WRITE_COMMITTED", "write_committed"), ("REPEATABLE_READ", "repeatable_read"), ("SERIALIZABLE", "serializable"),
            ], on: lua)
        lua.rawSet(module, key: "isolation")
        lua.newTable(arrayCapacity: 0, fieldCapacity: 5)
        lua.setFunctions(
            [("int", Self.asInt), ("float", Self.asFloat), ("text", Self.asText), ("binary", Self.asBinary), ("null", Self.asNull)],
            in: -1)
        lua.rawSet(module, key: "as")
        // The query builder: its table maker finds `sql.NULL` on top of the stack (how it writes NULLs).
        if let builder {
            _ = lua.rawGet(module, key: "NULL")
            builder(lua, state)
            lua.rawSet(module, key: "builder")
            lua.pop(1)
        }
    }

    private static func constants(_ pairs: [(String, String)], on lua: Lua) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(pairs.count))
        for (key, value) in pairs {
            lua.push(value)
            lua.rawSet(-2, key: key)
        }
    }

    /// `sql.get(id)`: `DB, nil` or `nil, err`. A database that is still opening (the application is
    /// starting, or its entry was just added) is waited for, suspending only the calling process.
    static let get: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let worker = LuaWorkerState.of(lua)
        guard lua.type(at: 1) == .string, let text = lua.string(at: 1) else { return lua.typeError(1, expected: "string") }
        guard !text.isEmpty else { return worker.fail(.invalid("sql.get: database ID is empty"), on: lua) }
        guard LuaProcess.current(lua) != nil else { return lua.raise("sql.get needs a running process") }
        let id = EntryID(parsing: text)
        let resources = worker.runtime.resources
        do throws(WippyError) {
            return push(try resources.acquire(id, as: (any SQLDatabase).self, what: "a SQL database"), on: lua)
        } catch {
            guard error.kind == .unavailable else { return worker.fail(error, context: "acquire resource", on: lua) }
        }
        // Not open (yet): wait until its start settles (at most `startWait`), then try once more.
        return SQLCall.run(
            lua, timeout: startWait, timeoutMessage: "sql.get: \(id) did not start within \(startWait)",
            { completion in resources.whenStarted(id) { completion(.success(())) } }
        ) { thread, _ in
            do throws(WippyError) {
                return push(try resources.acquire(id, as: (any SQLDatabase).self, what: "a SQL database"), on: thread)
            } catch {
                return LuaWorkerState.of(thread).fail(error, context: "acquire resource", on: thread)
            }
        }
    }

    /// How long `sql.get` waits for a database that is still opening.
    static let startWait: Duration = .seconds(30)

    private static func push(_ acquired: (lease: ResourceLease, resource: any SQLDatabase), on lua: Lua) -> Int32 {
        guard let process = LuaProcess.current(lua) else {
            acquired.lease.release()
            return lua.raise("sql.get needs a running process")
        }
        let handle = SQLDatabaseHandle(lease: acquired.lease, database: acquired.resource, process: process)
        handle.cleanup = process.addCleanup { [handle] in handle.release() }
        RetainedObject.push(handle, tag: ModuleTags.sqlDatabase, userValues: 0, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    // MARK: - sql.as

    static let asInt: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let value: Int64
        if lua.isInteger(at: 1) {
            value = lua.integer(at: 1) ?? 0
        } else if lua.type(at: 1) == .number, let number = lua.number(at: 1), number.isFinite,
            abs(number) < 9.2e18
        {
            value = Int64(number)
        } else {
            value = 0
        }
        SQLLuaValues.pushTyped(.integer(value), state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    static let asFloat: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let number = lua.type(at: 1) == .number ? lua.number(at: 1) ?? 0 : 0
        SQLLuaValues.pushTyped(.real(number), state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    static let asText: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let text: String
        switch lua.type(at: 1) {
        case .string, .number: text = lua.stringCoercing(at: 1) ?? ""
        case .boolean: text = lua.bool(at: 1) ? "true" : "false"
        case .nil, .none: text = ""
        default: return lua.typeError(1, expected: "string or number")
        }
        SQLLuaValues.pushTyped(.text(text), state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    static let asBinary: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.type(at: 1) == .string, let bytes = lua.bytes(at: 1) else { return lua.typeError(1, expected: "string") }
        SQLLuaValues.pushTyped(.blob(bytes), state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    static let asNull: LuaNativeFunction = { state in
        let lua = Lua(state!)
        SQLLuaValues.pushTyped(.null, state: LuaWorkerState.of(lua), on: lua)
        return 1
    }

    static let collectValue: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlValue, as: SQLTypedValue.self)
    }

    static let valueToString: LuaNativeFunction = { state in
        let lua = Lua(state!)
        let value = SQLLuaValues.typed(lua, at: 1)?.value ?? .null
        lua.push(value == .null ? "sql.NULL" : "sql.Value(\(value))")
        return 1
    }
}
