import WippyCodecs
import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// `DB` handles (`sql.get`): `type`, `query`, `execute`, `prepare`, `begin`, `release`, `stats`.
enum SQLDatabaseObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("type", type), ("query", query), ("execute", execute), ("prepare", prepare), ("begin", begin),
        ("release", release), ("stats", stats),
    ]

    static func handle(_ lua: Lua) -> SQLDatabaseHandle? {
        RetainedObject.object(at: 1, tag: ModuleTags.sqlDatabase, in: lua, as: SQLDatabaseHandle.self)
    }

    static let released = WippyError.invalid("database handle is released")

    /// Runs `body` with the open handle; raises for a non-DB receiver, `nil, err` for a released one.
    static func withHandle(_ lua: Lua, _ body: (SQLDatabaseHandle, LuaWorkerState) -> Int32) -> Int32 {
        guard let handle = handle(lua) else { return lua.typeError(1, expected: "sql.DB") }
        let worker = LuaWorkerState.of(lua)
        guard !handle.isReleased else { return worker.fail(released, on: lua) }
        return body(handle, worker)
    }

    /// The SQL text at `index` and the parameters after it.
    static func statement(_ lua: Lua, at index: Int32) -> Result<(String, [SQLValue]), EarlyReturn> {
        guard lua.type(at: index) == .string, let sql = lua.string(at: index) else {
            return .failure(EarlyReturn(status: lua.typeError(index, expected: "string")))
        }
        do throws(WippyError) {
            return .success((sql, try SQLLuaValues.parameters(lua, at: index + 1)))
        } catch {
            return .failure(EarlyReturn(status: LuaWorkerState.of(lua).fail(error, on: lua)))
        }
    }

    static let type: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let handle = handle(lua) else { return lua.typeError(1, expected: "sql.DB") }
        lua.push(handle.database.databaseType)
        return 1
    }

    /// The result of a statement the database ran inline (`immediate`), or else the statement run through
    /// `start` with the process suspended meanwhile; `push` puts the value on the stack either way.
    private static func inlineOrCall<Value: Sendable>(
        _ lua: Lua, _ immediate: Result<Value, WippyError>?, source: CompletionSource, _ start: (@escaping SQLCompletion<Value>) -> Void,
        push: @escaping (Lua, Value) -> Int32
    ) -> Int32 {
        switch immediate {
        case .success(let value)?: return push(lua, value)
        case .failure(let error)?: return LuaWorkerState.of(lua).fail(error, on: lua)
        case nil: return SQLCall.run(lua, source: source, start, push: push)
        }
    }

    /// Checks the SQL text at index 2 (a string, read later) and runs `body` with the parameters at 3.
    private static func withParameters(_ lua: Lua, _ worker: LuaWorkerState, _ body: ([SQLValue]) -> Int32) -> Int32 {
        guard lua.type(at: 2) == .string else { return lua.typeError(2, expected: "string") }
        let parameters: [SQLValue]
        do throws(WippyError) {
            parameters = try SQLLuaValues.parameters(lua, at: 3)
        } catch {
            return worker.fail(error, on: lua)
        }
        return body(parameters)
    }

    static let query: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withHandle(lua) { handle, worker in withParameters(lua, worker) { parameters in
            let database = handle.database
            if let status = queryInline(lua, database, parameters, worker) { return status }
            let sql = lua.string(at: 2)!
            return SQLCall.run(lua, source: database.completionSource, { database.query(sql, parameters, completion: $0) }) { thread, rows in
                SQLLuaValues.push(rows, on: thread)
                return 1
            }
        } }
    }

    /// The read run at once when the database can (an SQLite point select): the SQL compared as the bytes
    /// of the Lua string, the rows written straight into Lua tables. Nil (the stack as it was) when it
    /// must go through the database's completion instead.
    private static func queryInline(_ lua: Lua, _ database: any SQLDatabase, _ parameters: [SQLValue], _ worker: LuaWorkerState) -> Int32? {
        guard database.readsInline else { return nil }
        var sink = SQLLuaRowSink(lua)
        let read = lua.withBytes(at: 2) { database.readIfImmediate($0, parameters, into: &sink) } ?? .mustWait
        switch read {
        case .done:
            sink.finish()
            return 1
        case .failed(let error):
            sink.discard()
            return worker.fail(error, on: lua)
        case .mustWait:
            sink.discard()
            return nil
        }
    }

    static let execute: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withHandle(lua) { handle, worker in withParameters(lua, worker) { parameters in
            let database = handle.database
            // The SQL goes to an inline write as the Lua string's bytes; a `String` only for the slow way.
            let immediate = database.readsInline ? lua.withBytes(at: 2) { database.executeIfImmediate($0, parameters) } ?? nil : nil
            let sql = immediate == nil ? lua.string(at: 2)! : ""
            return inlineOrCall(lua, immediate, source: database.completionSource, { database.execute(sql, parameters, completion: $0) }) { thread, result in
                SQLLuaValues.push(result, on: thread)
                return 1
            }
        } }
    }

    static let prepare: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withHandle(lua) { handle, _ in
            guard lua.type(at: 2) == .string, let sql = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            let database = handle.database
            return SQLCall.run(lua, source: database.completionSource, { database.prepare(sql, completion: $0) }) { thread, statement in
                SQLStatementObject.push(statement, source: database.completionSource, on: thread)
                return 1
            }
        }
    }

    static let begin: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withHandle(lua) { handle, worker in
            var isolation = SQLIsolation.default
            var readOnly = false
            switch lua.type(at: 2) {
            case .nil, .none: break
            case .table:
                if lua.rawGet(2, key: "isolation") != .nil {
                    guard let name = lua.string(at: -1) else {
                        return worker.fail(.invalid("begin: isolation must be a string, got \(lua.typeName(at: -1))"), on: lua)
                    }
                    do throws(WippyError) {
                        isolation = try SQLIsolation.named(name)
                    } catch {
                        return worker.fail(error, on: lua)
                    }
                }
                lua.pop()
                if lua.rawGet(2, key: "read_only") != .nil { readOnly = lua.bool(at: -1) }
                lua.pop()
            default:
                return worker.fail(.invalid("begin: options must be a table, got \(lua.typeName(at: 2))"), on: lua)
            }
            let database = handle.database
            return SQLCall.run(lua, source: database.completionSource, { database.begin(isolation: isolation, readOnly: readOnly, completion: $0) }) { thread, transaction in
                SQLTransactionObject.push(transaction, owner: handle, on: thread)
                return 1
            }
        }
    }

    /// `db:release()`: `true`; idempotent. Later calls on the handle fail ("database handle is released").
    static let release: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let handle = handle(lua) else { return lua.typeError(1, expected: "sql.DB") }
        handle.release()
        lua.push(true)
        return 1
    }

    static let stats: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withHandle(lua) { handle, _ in
            let stats = handle.database.stats()
            lua.newTable(arrayCapacity: 0, fieldCapacity: 9)
            let fields: [(String, Int64)] = [
                ("max_open_connections", Int64(stats.maxOpenConnections)), ("open_connections", Int64(stats.openConnections)),
                ("in_use", Int64(stats.inUse)), ("idle", Int64(stats.idle)), ("wait_count", stats.waitCount),
                ("max_idle_closed", stats.maxIdleClosed), ("max_idle_time_closed", stats.maxIdleTimeClosed),
                ("max_lifetime_closed", stats.maxLifetimeClosed),
            ]
            for (key, value) in fields {
                lua.push(value)
                lua.rawSet(-2, key: key)
            }
            lua.push(GoDuration(nanoseconds: stats.waitDuration.nanosecondsClamped).description)
            lua.rawSet(-2, key: "wait_duration")
            return 1
        }
    }

    static let toString: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let handle = handle(lua) else { return lua.typeError(1, expected: "sql.DB") }
        lua.push("sql.DB{\(handle.lease.id), \(handle.database.databaseType)\(handle.isReleased ? ", released" : "")}")
        return 1
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlDatabase, as: SQLDatabaseHandle.self)
    }
}
