import WippyCore
import WippyLua
import WippyResources
import WippyRuntime

/// `Transaction` handles (`db:begin`): `db_type`, `query`, `execute`, `prepare`, `commit`, `rollback`,
/// `savepoint`, `rollback_to`, `release`. After commit or rollback (even a failed one) every call returns
/// `nil, err` "transaction is not active"; one still active when the invocation ends is rolled back.
enum SQLTransactionObject {
    static let methods: [(String, LuaNativeFunction)] = [
        ("db_type", dbType), ("query", query), ("execute", execute), ("prepare", prepare), ("commit", commit),
        ("rollback", rollback), ("savepoint", savepoint), ("rollback_to", rollbackTo), ("release", releaseSavepoint),
    ]

    static func push(_ transaction: any SQLTransaction, owner: SQLDatabaseHandle, on lua: Lua) {
        let worker = LuaWorkerState.of(lua)
        guard let process = LuaProcess.current(lua) else { return lua.pushNil() }
        let handle = SQLTransactionHandle(transaction: transaction, owner: owner, process: process)
        handle.cleanup = process.addCleanup { [handle] in
            // Rolled back off the worker; nobody waits for the answer.
            if handle.transaction.isActive { handle.transaction.rollback { _ in } }
        }
        RetainedObject.push(handle, tag: ModuleTags.sqlTransaction, userValues: 0, state: worker, on: lua)
    }

    static func withTransaction(_ lua: Lua, _ body: (SQLTransactionHandle, LuaWorkerState) -> Int32) -> Int32 {
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.sqlTransaction, in: lua, as: SQLTransactionHandle.self)
        else { return lua.typeError(1, expected: "sql.Transaction") }
        let worker = LuaWorkerState.of(lua)
        guard handle.transaction.isActive else { return worker.fail(SQLErrors.transactionNotActive, on: lua) }
        return body(handle, worker)
    }

    static let dbType: LuaNativeFunction = { state in
        let lua = Lua(state!)
        guard let handle = RetainedObject.object(at: 1, tag: ModuleTags.sqlTransaction, in: lua, as: SQLTransactionHandle.self)
        else { return lua.typeError(1, expected: "sql.Transaction") }
        lua.push(handle.transaction.databaseType)
        return 1
    }

    static let query: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTransaction(lua) { handle, _ in
            switch SQLDatabaseObject.statement(lua, at: 2) {
            case .failure(let early): return early.status
            case .success(let (sql, parameters)):
                let transaction = handle.transaction
                return SQLCall.run(lua, source: handle.owner.database.completionSource, { transaction.query(sql, parameters, completion: $0) }) { thread, rows in
                    SQLLuaValues.push(rows, on: thread)
                    return 1
                }
            }
        }
    }

    static let execute: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTransaction(lua) { handle, _ in
            switch SQLDatabaseObject.statement(lua, at: 2) {
            case .failure(let early): return early.status
            case .success(let (sql, parameters)):
                let transaction = handle.transaction
                return SQLCall.run(lua, source: handle.owner.database.completionSource, { transaction.execute(sql, parameters, completion: $0) }) { thread, result in
                    SQLLuaValues.push(result, on: thread)
                    return 1
                }
            }
        }
    }

    static let prepare: LuaNativeFunction = { state in
        let lua = Lua(state!)
        return withTransaction(lua) { handle, _ in
            guard lua.type(at: 2) == .string, let sql = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            let transaction = handle.transaction
            return SQLCall.run(lua, source: handle.owner.database.completionSource, { transaction.prepare(sql, completion: $0) }) { thread, statement in
                SQLStatementObject.push(statement, source: handle.owner.database.completionSource, on: thread)
                return 1
            }
        }
    }

    static func end(_ lua: Lua, commit: Bool) -> Int32 {
        withTransaction(lua) { handle, _ in
            let transaction = handle.transaction
            handle.ended()
            return SQLCall.run(lua, source: handle.owner.database.completionSource, { commit ? transaction.commit(completion: $0) : transaction.rollback(completion: $0) }) { thread, _ in
                thread.push(true)
                return 1
            }
        }
    }

    static let commit: LuaNativeFunction = { state in end(Lua(state!), commit: true) }
    static let rollback: LuaNativeFunction = { state in end(Lua(state!), commit: false) }

    static func savepointCall(_ lua: Lua, _ action: SQLSavepoint.Action) -> Int32 {
        withTransaction(lua) { handle, _ in
            guard lua.type(at: 2) == .string, let name = lua.string(at: 2) else { return lua.typeError(2, expected: "string") }
            let transaction = handle.transaction
            return SQLCall.run(lua, source: handle.owner.database.completionSource, { transaction.savepoint(action, name: name, completion: $0) }) { thread, _ in
                thread.push(true)
                return 1
            }
        }
    }

    static let savepoint: LuaNativeFunction = { state in savepointCall(Lua(state!), .create) }
    static let rollbackTo: LuaNativeFunction = { state in savepointCall(Lua(state!), .rollbackTo) }
    static let releaseSavepoint: LuaNativeFunction = { state in savepointCall(Lua(state!), .release) }

    static let collect: LuaNativeFunction = { state in
        RetainedObject.release(Lua(state!), tag: ModuleTags.sqlTransaction, as: SQLTransactionHandle.self)
    }
}
