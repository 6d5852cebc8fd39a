import WippyCore
import WippyResources
import WippyRuntime

/// What a `DB` userdata holds: the lease on the database resource, released by `db:release()` or when
/// the invocation that took it ends. Used only on its process's worker.
final class SQLDatabaseHandle: @unchecked Sendable {
    let lease: ResourceLease
    let database: any SQLDatabase
    weak var process: LuaProcess?
    var cleanup: UInt64?

    init(lease: ResourceLease, database: any SQLDatabase, process: LuaProcess) {
        self.lease = lease
        self.database = database
        self.process = process
    }

    var isReleased: Bool { lease.isReleased }

    func release() {
        if let cleanup, let process { process.cancelCleanup(cleanup) }
        cleanup = nil
        lease.release()
    }
}

/// What a `Transaction` userdata holds: rolled back when the invocation ends while it is still active.
final class SQLTransactionHandle: @unchecked Sendable {
    let transaction: any SQLTransaction
    /// The database handle's lease stays taken while the transaction lives.
    let owner: SQLDatabaseHandle
    weak var process: LuaProcess?
    var cleanup: UInt64?

    init(transaction: any SQLTransaction, owner: SQLDatabaseHandle, process: LuaProcess) {
        self.transaction = transaction
        self.owner = owner
        self.process = process
    }

    /// The transaction ended (commit or rollback): nothing to do at the end of the invocation.
    func ended() {
        if let cleanup, let process { process.cancelCleanup(cleanup) }
        cleanup = nil
    }
}

/// What a `Statement` userdata holds: closed when the invocation ends.
final class SQLStatementHandle: @unchecked Sendable {
    let statement: any SQLStatement
    /// Where its database's answers come from (``SQLDatabase/completionSource``).
    let source: CompletionSource
    weak var process: LuaProcess?
    var cleanup: UInt64?

    init(statement: any SQLStatement, source: CompletionSource, process: LuaProcess) {
        self.statement = statement
        self.source = source
        self.process = process
    }

    func closed() {
        if let cleanup, let process { process.cancelCleanup(cleanup) }
        cleanup = nil
    }
}
