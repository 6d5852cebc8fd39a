import Logging
import NIOCore
import PostgresNIO
import Synchronization

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

/// Runs a named statement's task on its connection's event loop: the task starts there (the one hop the
/// statement needs anyway, to write to the channel) and every resumption (a row, the end) is queued on the
/// loop thread that completed the wait, so it costs no thread hop and no wake-up. The global executor would
/// add a hop to one of its threads at the start and at every resumption, which on two cores shared with the
/// server costs more than the statement. Jobs are queued, never run inside the caller: a job run within a
/// channel handler's callback would re-enter postgres-nio's state machines.
///
/// A job runs as on this task executor (`runSynchronously(on:)` with it), not as on the loop's serial
/// executor (`EventLoop.enqueue(_:)`): the runtime then knows the task is already where it prefers to be,
/// and each `await` into a nonisolated async function (postgres-nio's calls, the row sequence's `next`)
/// continues at once. Run as on the serial executor, every such `await` queued the task on the loop again:
/// 28 loop jobs per point select, about a third of its client instructions.
///
/// Only for tasks whose every step is short and never blocks (the named statement's: encode, write, decode).
final class PostgresLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop
    /// Jobs queued on the loop so far (tests count them per statement).
    let jobs = Atomic<Int>(0)

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        jobs.add(1, ordering: .relaxed)
        let job = UnownedJob(job)
        eventLoop.execute { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}
