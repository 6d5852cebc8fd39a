import WippyCore
import WippyLua
import WippyRuntime

/// `builder:run_with(db_or_tx)` and its QueryExecutor (§7.1, §11.1).
///
/// `run_with`, `ex:query()` and `ex:exec()` are Lua functions (``SQLBuilderTable/wrapperSource``): they call
/// the handle's `type`/`db_type`, `query` and `execute` as ordinary Lua method calls, so a handle whose
/// methods suspend the process (a database round trip) suspends it through plain Lua frames. The natives
/// here only make the executor and hand its parts back.
enum SQLExecutorNatives {
    /// `make(builder, handle, db_type)`: renders the builder (in `$n` when `db_type` is "postgres", else in
    /// its own format) and pushes the executor, or `nil, INVALID` when the SQL cannot be written, or
    /// `false, message` when `builder` is not one (the wrapper raises that at its caller).
    static let make: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let statement = SQLBuilderObjects.statement(at: 1, in: lua) else {
            lua.push(false)
            lua.push("bad argument #1 to 'run_with' (query builder expected, got \(lua.typeName(at: 1)))")
            return 2
        }
        let postgres = lua.type(at: 3) == .string && lua.string(at: 3) == "postgres"
        lua.top = 2
        let reader = SQLValueReader.begin(lua, sharingWith: 1)
        let query: SQLQuery<SQLBuilderValue>
        do throws(SQLBuilderError) {
            query = try statement.render(format: postgres ? .dollar : nil)
        } catch {
            return LuaWorkerState.of(lua).fail(.invalid(error.message), on: lua)
        }
        _ = LuaWorkerState.of(lua).newObject(ModuleTags.sqlQueryExecutor, userValues: 3, on: lua)
        let executor = lua.top
        lua.pushValue(at: 2)
        lua.setUserValue(executor, 1)
        reader.push(query)
        lua.setUserValue(executor, 3)
        lua.setUserValue(executor, 2)
        return 1
    }

    /// `parts(executor)` → `handle, sql, args` (a fresh copy of the arguments), or nothing for a non-executor.
    static let parts: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.sqlQueryExecutor) != nil else { return 0 }
        lua.top = 1
        lua.getUserValue(1, 1)
        pushStatement(of: 1, on: lua)
        return 3
    }

    /// `ex:to_sql()` → `sql, args`: what `query`/`exec` will run (with the PostgreSQL override applied).
    static let toSQL: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard lua.taggedUserdata(at: 1, ModuleTags.sqlQueryExecutor) != nil else {
            return lua.typeError(1, expected: "QueryExecutor")
        }
        lua.top = 1
        pushStatement(of: 1, on: lua)
        return 2
    }

    /// Pushes the SQL text and a copy of the arguments array of the executor at `index`.
    private static func pushStatement(of index: Int32, on lua: Lua) {
        lua.getUserValue(index, 2)
        lua.getUserValue(index, 3)
        let stored = lua.top
        let count = lua.rawLength(at: stored)
        lua.newTable(arrayCapacity: Int32(count), fieldCapacity: 0)
        for position in 0..<count {
            lua.rawGet(stored, index: Int64(position + 1))
            lua.rawSet(-2, index: Int64(position + 1))
        }
        lua.remove(at: stored)
    }
}
