import Logging
import NIOCore
import PostgresNIO

/// One run of a statement by name through postgres-nio's prepared-statement API, which prepares the name on
/// the connection the first time (Parse and Describe, then Bind and Execute in the same flight) and only
/// binds and executes it afterwards.
///
/// The API takes the name and SQL as static members of the statement's type, made for statements written
/// in the source; ours come from Lua at run time, so they are read from a task-local set around the call
/// (``run(on:name:sql:bindings:logger:)``), which every read of them inside the call sees, whatever thread
/// it runs on.
struct PostgresNamedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        let name: String
        let sql: String
    }

    @TaskLocal static var current = Text(name: "", sql: "")
    static var name: String { current.name }
    static var sql: String { current.sql }

    typealias Row = PostgresRow
    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }

    /// The rows of one run, gathered as they arrive.
    static func run(
        on connection: PostgresConnection, name: String, sql: String, bindings: PostgresBindings, logger: Logger
    ) async throws -> SQLRows {
        try await $current.withValue(Text(name: name, sql: sql)) {
            var builder = PostgresSQLValues.RowsBuilder()
            for try await row in try await connection.execute(PostgresNamedStatement(bindings: bindings), logger: logger) {
                builder.append(row)
            }
            return builder.rows
        }
    }
}

/// Runs every job at once on the thread that enqueues it: a named statement's task starts on the worker
/// that asked for it, runs until it waits for the server, and continues on the event loop thread that
/// completes the wait. The global executor would add a hop to one of its threads (and a wake-up) at the
/// start and at every resumption, which on two cores shared with the server costs more than the statement.
///
/// Only for tasks whose every step is short and never blocks (the named statement's: encode, write, decode).
final class PostgresInlineExecutor: TaskExecutor {
    static let shared = PostgresInlineExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }
}
