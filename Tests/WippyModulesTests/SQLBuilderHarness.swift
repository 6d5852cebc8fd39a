import WippyCore
import WippyLua
import WippyModules
import WippyRuntime

/// A test-only `sql` module holding just `NULL` (a stand-in userdata) and `builder`, attached the way the
/// real `sql` module attaches it (``WippyModules/SQLBuilderTable``). It replaces any `sql` module of the
/// harness.
struct BuilderOnlySQLModule: LuaModule {
    let name = "sql"

    func load(into lua: Lua, state: LuaWorkerState) {
        lua.newTable()
        _ = lua.newUserdata(size: 0)
        lua.pushValue(at: -1)
        lua.rawSet(-3, key: "NULL")
        SQLBuilderTable.push(on: lua, state: state, null: -1)
        lua.rawSet(-3, key: "builder")
        lua.pop()
    }
}

extension ModulesHarness {
    /// A harness whose `sql` module is ``BuilderOnlySQLModule``.
    static func sqlBuilder() -> ModulesHarness { ModulesHarness(extraModules: [BuilderOnlySQLModule()]) }

    /// Runs `body` (the statements of a function returning the test's value) with `sql`, `time`, `system`, `b`
    /// (`sql.builder`) and the helpers of ``sqlBuilderPrelude`` in scope.
    func runBuilder(_ body: String) async -> ProcessResult {
        install("test:main", source: Self.sqlBuilderPrelude + "\nreturn function()\n" + body + "\nend\n", modules: ["sql", "time", "system"])
        return await runEntry("test:main")
    }

    /// `show(v)`: a value as text (`NULL` for sql.NULL, quoted strings, `f` before floats); `render(sql, args)`:
    /// "sql | a1, a2" or "error(<kind>): <message>" for `nil, err`; `S(q)`: `render(q:to_sql())`;
    /// `raises(f)`: the message f raises, or "no error"; `fake(kind, type_method)`: a DB-like table whose
    /// `query`/`execute` record their calls in `calls` ({method, sql, rendered args}).
    static let sqlBuilderPrelude = """
        local b = sql.builder
        local function show(v)
            if v == sql.NULL then return "NULL" end
            local t = type(v)
            if t == "string" then return "'" .. v .. "'" end
            if t == "number" then return math.type(v) == "integer" and tostring(v) or ("f" .. tostring(v)) end
            if t == "boolean" then return tostring(v) end
            return t
        end
        local function render(text, args)
            if text == nil then return "error(" .. args:kind() .. "): " .. args:message() end
            local parts = {}
            for i = 1, #args do parts[i] = show(args[i]) end
            return text .. " | " .. table.concat(parts, ", ")
        end
        local function S(q) return render(q:to_sql()) end
        local function raises(f, ...)
            local ok, err = pcall(f, ...)
            if ok then return "no error" end
            return tostring(err)
        end
        local function fake(kind, type_method)
            local db = {calls = {}}
            db[type_method or "type"] = function(self) return kind, nil end
            function db:query(text, args)
                self.calls[#self.calls + 1] = "query: " .. render(text, args)
                return {{id = 1}}, nil
            end
            function db:execute(text, args)
                self.calls[#self.calls + 1] = "execute: " .. render(text, args)
                return {last_insert_id = 7, rows_affected = 1}, nil
            end
            return db
        end
        """
}
