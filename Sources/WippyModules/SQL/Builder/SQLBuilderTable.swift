public import WippyLua
public import WippyRuntime

/// The `sql.builder` table (lua-api-io §7.1, §11.1): immutable select/insert/update/delete builders,
/// conditions, placeholder formats and `run_with` executors.
///
/// The `sql` module attaches it in its `load`, with its `sql.NULL` on the stack:
///
/// ```swift
/// // module table at -2, sql.NULL at -1
/// SQLBuilderTable.push(on: lua, state: state, null: -1)
/// lua.rawSet(-3, key: "builder")
/// ```
///
/// Builder calls are pure (no I/O, nothing waits). `run_with(handle)` accepts any DB or Transaction-like
/// value: one with `query`, `execute` and `type` (DB) or `db_type` (Transaction) methods, called as Lua
/// methods, so they may suspend.
public enum SQLBuilderTable {
    /// Registers the builder types on `state` and pushes the read-only `builder` table on `lua` (the worker's
    /// main thread, where modules load). `null` is the stack index of `sql.NULL`: a NULL in equality maps
    /// (`IS NULL`) and what NULL arguments are handed to the database as.
    public static func push(on lua: Lua, state: LuaWorkerState, null: Int32) {
        assert(lua.pointer == state.lua.pointer, "sql.builder is built on the worker's main thread")
        lua.pushValue(at: null)
        lua.rawSet(Lua.registryIndex, key: SQLValueReader.nullKey)
        pushWrappers(on: lua)
        let runWith = lua.top - 2, query = lua.top - 1, exec = lua.top
        registerTypes(state: state, on: lua, runWith: runWith, query: query, exec: exec)
        lua.pop(3)

        lua.newTable(arrayCapacity: 0, fieldCapacity: 20)
        lua.setFunctions(
            [
                ("select", SQLBuilderNatives.select), ("insert", SQLBuilderNatives.insert),
                ("update", SQLBuilderNatives.update), ("delete", SQLBuilderNatives.delete),
                ("expr", SQLConditionNatives.expr), ("eq", SQLConditionNatives.eq), ("not_eq", SQLConditionNatives.notEq),
                ("lt", SQLConditionNatives.lt), ("lte", SQLConditionNatives.lte), ("gt", SQLConditionNatives.gt),
                ("gte", SQLConditionNatives.gte), ("like", SQLConditionNatives.like),
                ("not_like", SQLConditionNatives.notLike), ("and_", SQLConditionNatives.and), ("or_", SQLConditionNatives.or),
            ], in: -1)
        for (name, format) in [
            ("question", SQLPlaceholderFormat.question), ("default_placeholder", .question), ("dollar", .dollar),
            ("colon", .colon), ("at", .at),
        ] {
            SQLBuilderObjects.push(format, state: state, on: lua)
            lua.rawSet(-2, key: name)
        }
        state.makeReadOnly()
    }

    /// `run_with`, `query` and `exec`, in Lua so the handle's methods run (and may yield) in plain Lua frames.
    static let wrapperSource = """
        local make, parts, type, pcall, error = ...
        local function index(object, key) return object[key] end
        local function method(object, key)
            local ok, value = pcall(index, object, key)
            if ok and type(value) == "function" then return value end
            return nil
        end
        local function run_with(self, handle)
            local kind = type(handle)
            local db_type
            if kind == "userdata" or kind == "table" then
                db_type = method(handle, "type") or method(handle, "db_type")
            end
            if db_type == nil or method(handle, "query") == nil or method(handle, "execute") == nil then
                error("bad argument #1 to 'run_with' (DB or Transaction expected, got " .. kind .. ")", 2)
            end
            local executor, err = make(self, handle, (db_type(handle)))
            if executor == false then error(err, 2) end
            return executor, err
        end
        local function query(self)
            local handle, sql, args = parts(self)
            if handle == nil then
                error("bad argument #1 to 'query' (QueryExecutor expected, got " .. type(self) .. ")", 2)
            end
            return handle:query(sql, args)
        end
        local function exec(self)
            local handle, sql, args = parts(self)
            if handle == nil then
                error("bad argument #1 to 'exec' (QueryExecutor expected, got " .. type(self) .. ")", 2)
            end
            return handle:execute(sql, args)
        end
        return run_with, query, exec
        """

    /// Pushes `run_with`, `query` and `exec`.
    private static func pushWrappers(on lua: Lua) {
        if let error = lua.load(Array(wrapperSource.utf8), name: "=sql.builder") {
            fatalError("sql.builder wrappers do not compile: \(error)")
        }
        lua.push(native: SQLExecutorNatives.make)
        lua.push(native: SQLExecutorNatives.parts)
        lua.pushGlobals()
        lua.rawGet(-1, key: "type")
        lua.rawGet(-2, key: "pcall")
        lua.rawGet(-3, key: "error")
        lua.remove(at: -4)
        if let error = lua.protectedCall(arguments: 5, results: 3) { fatalError("sql.builder wrappers failed: \(error)") }
    }

    private static func registerTypes(state: LuaWorkerState, on lua: Lua, runWith: Int32, query: Int32, exec: Int32) {
        let shared: [(String, LuaNativeFunction)] = [
            ("suffix", SQLBuilderNatives.suffix), ("placeholder_format", SQLBuilderNatives.placeholderFormat),
            ("to_sql", SQLBuilderNatives.toSQL),
        ]
        let filtering: [(String, LuaNativeFunction)] = [
            ("where", SQLBuilderNatives.whereClause), ("order_by", SQLBuilderNatives.orderBy),
            ("limit", SQLBuilderNatives.limit), ("offset", SQLBuilderNatives.offset), ("from", SQLBuilderNatives.from),
        ]
        let select: [(String, LuaNativeFunction)] = [
            ("join", SQLBuilderNatives.join), ("left_join", SQLBuilderNatives.leftJoin),
            ("right_join", SQLBuilderNatives.rightJoin), ("inner_join", SQLBuilderNatives.innerJoin),
            ("group_by", SQLBuilderNatives.groupBy), ("having", SQLBuilderNatives.having),
            ("columns", SQLBuilderNatives.columns), ("distinct", SQLBuilderNatives.distinct),
        ]
        let insert: [(String, LuaNativeFunction)] = [
            ("into", SQLBuilderNatives.into), ("columns", SQLBuilderNatives.columns), ("values", SQLBuilderNatives.values),
            ("set_map", SQLBuilderNatives.setMap), ("select", SQLBuilderNatives.insertSelect),
            ("prefix", SQLBuilderNatives.prefix), ("options", SQLBuilderNatives.options),
        ]
        let update: [(String, LuaNativeFunction)] = [
            ("table", SQLBuilderNatives.table), ("set", SQLBuilderNatives.set), ("set_map", SQLBuilderNatives.setMap),
            ("from_select", SQLBuilderNatives.fromSelect),
        ]
        let builders: [(UserdataTag, String, [(String, LuaNativeFunction)], LuaNativeFunction)] = [
            (ModuleTags.sqlSelectBuilder, "SelectBuilder", shared + filtering + select, SQLBuilderObjects.collectSelect),
            (ModuleTags.sqlInsertBuilder, "InsertBuilder", shared + insert, SQLBuilderObjects.collectInsert),
            (ModuleTags.sqlUpdateBuilder, "UpdateBuilder", shared + filtering + update, SQLBuilderObjects.collectUpdate),
            (ModuleTags.sqlDeleteBuilder, "DeleteBuilder", shared + filtering, SQLBuilderObjects.collectDelete),
        ]
        for (tag, name, methods, collect) in builders {
            register(tag, name: name, methods: methods, scripted: [("run_with", runWith)], collect: collect, state: state, on: lua)
        }
        register(
            ModuleTags.sqlCondition, name: "Sqlizer", methods: [("to_sql", SQLConditionNatives.toSQL)],
            collect: SQLBuilderObjects.collectCondition, state: state, on: lua)
        register(ModuleTags.sqlPlaceholderFormat, name: "PlaceholderFormat", methods: [], state: state, on: lua)
        register(
            ModuleTags.sqlQueryExecutor, name: "QueryExecutor", methods: [("to_sql", SQLExecutorNatives.toSQL)],
            scripted: [("query", query), ("exec", exec)], state: state, on: lua)
    }

    /// Registers the metatable of `tag`: `__index` holds `methods` and the Lua functions at the stack
    /// indices of `scripted`; `__gc` is `collect`; the metatable itself cannot be reached from Lua.
    private static func register(
        _ tag: UserdataTag, name: String, methods: [(String, LuaNativeFunction)], scripted: [(String, Int32)] = [],
        collect: LuaNativeFunction? = nil, state: LuaWorkerState, on lua: Lua
    ) {
        lua.newTable(arrayCapacity: 0, fieldCapacity: 4)
        let meta = lua.top
        lua.newTable(arrayCapacity: 0, fieldCapacity: Int32(methods.count + scripted.count))
        lua.setFunctions(methods, in: -1)
        for (method, index) in scripted {
            lua.pushValue(at: index)
            lua.rawSet(-2, key: method)
        }
        lua.rawSet(meta, key: "__index")
        if let collect {
            lua.push(native: collect)
            lua.rawSet(meta, key: "__gc")
        }
        lua.push(name)
        lua.rawSet(meta, key: "__name")
        lua.push(false)
        lua.rawSet(meta, key: "__metatable")
        state.registerMetatable(tag, from: lua)
    }
}
