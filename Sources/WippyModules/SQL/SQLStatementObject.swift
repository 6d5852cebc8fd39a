import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// `Statement` handles (`db:prepare`, `tx:prepare`): `query`, `execute`, `close`. Closed when the
/// invocation ends; any call on a closed statement returns `nil, err` "statement is closed".
enum SQLStatementObject {
    static let methods: [(String, LuaNativeFunction)] = [("query", query), ("execute", execute), ("close", close)]

    /// `source`: its database's ``SQLDatabase/completionSource``.
    static func push(_ statement: any SQLStatement, source: CompletionSource, on lua: Lua) {
        let worker = LuaWorkerState.of(lua)
        guard let process = LuaProcess.current(lua) else { return lua.pushNil() }
        let handle = SQLStatementHandle(statement: statement, source: source, process: process)
        handle.cleanup = process.addCleanup { [handle] in handle.statement.close { _ in } }
        RetainedObject.push(handle, tag: ModuleTags.sqlStatement, userValues: 0, state: worker, on: lua)
    }

    static func withStatement(_ lua: Lua, _ body: (SQLStatementHandle, LuaWorkerState) -> Int32) -> Int32 {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.sqlStatement, in: lua, as: SQLStatementHandle.self)
        else { return lua.typeError(1, expected: "sql.Statement") }
        return body(handle, LuaWorkerState.of(lua))
    }

    static func parameters(_ lua: Lua, _ worker: LuaWorkerState) -> Result<[SQLValue], EarlyReturn> {
        do throws(WippyError) {
            return .success(try SQLLuaValues.parameters(lua, at: 2))
        } catch {
            return .failure(EarlyReturn(status: worker.fail(error, on: lua)))
        }
    }

    static let query: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withStatement(lua) { handle, worker in
            guard !handle.statement.isClosed else { return worker.fail(SQLErrors.statementClosed, on: lua) }
            switch parameters(lua, worker) {
            case .failure(let early): return early.status
            case .success(let parameters):
                let statement = handle.statement
                return SQLCall.run(lua, source: handle.source, { statement.query(parameters, completion: $0) }) { thread, rows in
                    SQLLuaValues.push(rows, on: thread)
                    return 1
                }
            }
        }
    }

    static let execute: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withStatement(lua) { handle, worker in
            guard !handle.statement.isClosed else { return worker.fail(SQLErrors.statementClosed, on: lua) }
            switch parameters(lua, worker) {
            case .failure(let early): return early.status
            case .success(let parameters):
                let statement = handle.statement
                return SQLCall.run(lua, source: handle.source, { statement.execute(parameters, completion: $0) }) { thread, result in
                    SQLLuaValues.push(result, on: thread)
                    return 1
                }
            }
        }
    }

    static let close: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withStatement(lua) { handle, worker in
            handle.closed()
            let statement = handle.statement
            return SQLCall.run(lua, source: handle.source, { statement.close(completion: $0) }) { thread, _ in
                thread.push(true)
                return 1
            }
        }
    }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlStatement, as: SQLStatementHandle.self)
    }
}
