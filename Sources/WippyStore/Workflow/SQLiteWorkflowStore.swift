public import WippyCore
import Foundation
import GRDB
import Synchronization

/// Workflow runs and their journals in an embedded SQLite database: the store of the embedded engine.
///
/// The file is opened in WAL mode. One writer thread per store commits every pending ``WorkflowWrite`` in one
/// transaction (``WorkflowJournalWriter``); a second thread flushes the write-ahead log after each commit
/// and only then calls the completions (``WorkflowJournalSyncer``), so an acknowledged write survives a crash
/// of the process or the machine, as with `synchronous = FULL`. Loads run on
/// a second, read-only connection and never wait for a commit.
///
/// Each journal event carries a ``JournalChecksum``; a load checks the sequence numbers, the checksums and
/// the run's recorded last sequence number, and reports a damaged journal as an error naming the run and
/// the sequence number. A file that is empty, truncated or not a database is refused when opened.
///
/// Signals and timers are rows too (``WorkflowSignalStore``): a signal is recorded by the same writer, in the
/// same group commits. The store serves one node: ``WorkflowWrite/fence`` is ignored (no other node can
/// write the file; the registry's lock keeps a second `wippy run` off the project).
public final class SQLiteWorkflowStore: WorkflowSignalStore {
    /// How much the writer has done: commits against items shows how well writes are grouped.
    public typealias Stats = WorkflowStoreStats

    /// The database file.
    public let path: String
    private let writer: WorkflowJournalWriter
    private let reader: DatabaseQueue
    private let checkpointer: WALCheckpointer
    private let hub = WorkflowWakeupHub()

    /// `<projectRoot>/.wippy/workflows.db`.
    public static func defaultPath(projectRoot: String) -> String {
        (projectRoot.isEmpty ? "." : projectRoot) + "/.wippy/workflows.db"
    }

    /// Opens (or creates, with its directory) the store at `path` and starts its writer thread.
    ///
    /// - Throws: `Invalid` naming the file when it cannot be created or opened, is empty, truncated, not a
    ///   database, not a workflow store, or of a schema version this build does not read.
    public convenience init(path: String) throws(WippyError) {
        try self.init(path: path, flush: nil)
    }

    /// - Parameters:
    ///   - flush: replaces the writer's flush of the write-ahead log (tests: see ``WorkflowJournalSyncer``);
    ///     nil: the log file's own.
    ///   - acknowledgesLoneBatches: false hands every batch to the syncer thread (tests of the hand-off).
    init(path: String, flush: WorkflowJournalSyncer.Flush?, acknowledgesLoneBatches: Bool = true) throws(WippyError) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        } catch {
            throw WippyError.invalid("workflow store \(path): cannot create the directory: \(error.localizedDescription)")
        }
        let file = SQLiteFileCheck(path: path)
        if let problem = file.emptyFileProblem() ?? file.truncationProblem() { throw SQLiteWorkflowStore.damaged(path, problem) }
        let configuration = DurableSQLite.configuration(
            label: "workflow-store", name: "workflow store \(path)",
            pragmas: [
                // A batch of a thousand workflows touches as many journal pages: keep them in memory (64 MiB)
                // rather than read them back from the write-ahead log in every commit.
                "PRAGMA cache_size = -65536",
                // Checkpoints run beside the writer (``WALCheckpointer``); this is the backstop (64 MiB of log).
                "PRAGMA wal_autocheckpoint = 4096",
            ])
        let connection: DatabaseQueue
        do {
            connection = try DatabaseQueue(path: path, configuration: configuration)
            // Checked and created (or migrated from an older version) in one IMMEDIATE transaction, so two
            // processes opening the same new or old file do not both do it.
            try connection.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    switch try SQLiteWorkflowSchema.check(db, path: path) {
                    case .empty: try SQLiteWorkflowSchema.create(db)
                    case .version1: try SQLiteWorkflowSchema.migrateFromVersion1(db)
                    case .version2: try SQLiteWorkflowSchema.migrateFromVersion2(db)
                    case .version3: try SQLiteWorkflowSchema.migrateFromVersion3(db)
                    case .current: break
                    }
                    return .commit
                }
            }
            var readOnly = Configuration()
            readOnly.label = "workflow-store-reader"
            readOnly.readonly = true
            readOnly.busyMode = .timeout(5)
            reader = try DatabaseQueue(path: path, configuration: readOnly)
            var checkpointing = configuration
            checkpointing.label = "workflow-store-checkpointer"
            checkpointer = WALCheckpointer(connection: try DatabaseQueue(path: path, configuration: checkpointing))
            writer = try WorkflowJournalWriter(path: path, connection: connection, checkpointer: checkpointer, wakeups: hub, flush: flush,
                acknowledgesLoneBatches: acknowledgesLoneBatches)
        } catch let error as WippyError {
            throw error
        } catch {
            throw SQLiteWorkflowStore.failure(path, "cannot open", error)
        }
        writer.start()
    }

    deinit { writer.close() }

    public func submit(_ write: WorkflowWrite, completion: @escaping @Sendable (Result<Void, WippyError>) -> Void) {
        writer.submit(write, completion: completion)
    }

    public func load(_ run: WorkflowRunID, completion: @escaping @Sendable (Result<WorkflowRun?, WippyError>) -> Void) {
        let path = path
        reader.asyncRead { access in
            do {
                let db = try access.get()
                completion(.success(try SQLiteWorkflowStore.load(run, db, path: path, layout: .current)))
            } catch let error as WippyError {
                completion(.failure(error))
            } catch {
                completion(.failure(SQLiteWorkflowStore.failure(path, "cannot load \(run)", error)))
            }
        }
    }

    public func list(
        statuses: Set<WorkflowStatus>, limit: Int,
        completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void
    ) {
        let path = path
        reader.asyncRead { access in
            do {
                let db = try access.get()
                completion(.success(try SQLiteWorkflowStore.list(statuses, limit: limit, db, path: path)))
            } catch let error as WippyError {
                completion(.failure(error))
            } catch {
                completion(.failure(SQLiteWorkflowStore.failure(path, "cannot list runs", error)))
            }
        }
    }

    public func signal(
        workflowID: String, topic: String, sender: String, payload: [UInt8],
        completion: @escaping @Sendable (Result<UInt64, WippyError>) -> Void
    ) {
        writer.submit(.signal(.init(workflowID: workflowID, topic: topic, sender: sender, payload: payload)), completion: completion)
    }

    public func pendingSignals(
        workflowID: String, limit: Int, completion: @escaping @Sendable (Result<[WorkflowSignal], WippyError>) -> Void
    ) {
        read("cannot read the signals of \(workflowID)", completion) { db in
            let rows = try Row.fetchCursor(
                db, sql: "SELECT id, topic, sender, payload FROM workflow_signals WHERE workflow_id = ? ORDER BY id LIMIT ?",
                arguments: [workflowID, Int64(clamping: limit)])
            var signals: [WorkflowSignal] = []
            while let row = try rows.next() {
                let payload: Data = row[3]
                signals.append(
                    WorkflowSignal(
                        id: UInt64(bitPattern: row[0] as Int64), workflowID: workflowID, topic: row[1], sender: row[2],
                        payload: [UInt8](payload)))
            }
            return signals
        }
    }

    public func dueRuns(before: Int64?, limit: Int, completion: @escaping @Sendable (Result<[WorkflowDueRun], WippyError>) -> Void) {
        let before = before ?? Int64(Date().timeIntervalSince1970 * 1000)
        read("cannot list due runs", completion) { db in
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT workflow_id, run_id, wake_at FROM workflow_runs
                    WHERE wake_at IS NOT NULL AND wake_at <= ? AND wake_at < ? ORDER BY wake_at, id LIMIT ?
                    """,
                arguments: [before, Int64.max, Int64(clamping: limit)])
            var due: [WorkflowDueRun] = []
            while let row = try rows.next() {
                due.append(WorkflowDueRun(run: WorkflowRunID(workflowID: row[0], runID: row[1]), wakeAt: row[2]))
            }
            return due
        }
    }

    public func readyRuns(
        before: Int64?, workflowIDs: [String]?, limit: Int,
        completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void
    ) {
        let before = before ?? Int64(Date().timeIntervalSince1970 * 1000)
        let path = path
        if workflowIDs?.isEmpty == true { return completion(.success([])) }
        read("cannot list ready runs", completion) { db in
            try SQLiteWorkflowStore.ready(before: before, workflowIDs: workflowIDs, limit: limit, db, path: path)
        }
    }

    public func runs(workflowID: String, completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void) {
        let path = path
        read("cannot read the runs of \(workflowID)", completion) { db in
            try SQLiteWorkflowStore.records(
                db, sql: """
                    SELECT workflow_id, run_id, entry, entry_kind, registry_version, input, status, result FROM workflow_runs
                    WHERE workflow_id = ? ORDER BY id
                    """, arguments: [workflowID], path: path)
        }
    }

    public func signaledWorkflows(limit: Int, completion: @escaping @Sendable (Result<[String], WippyError>) -> Void) {
        read("cannot list signaled workflows", completion) { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT workflow_id FROM workflow_signals LIMIT ?", arguments: [Int64(clamping: limit)])
        }
    }

    public func wakeups() -> AsyncStream<WorkflowWakeup> { hub.subscribe() }

    /// Runs `body` on the reader connection and passes its result (or its error) to `completion`.
    private func read<T: Sendable>(
        _ what: String, _ completion: @escaping @Sendable (Result<T, WippyError>) -> Void,
        _ body: @escaping @Sendable (Database) throws -> T
    ) {
        let path = path
        reader.asyncRead { access in
            do {
                completion(.success(try body(try access.get())))
            } catch let error as WippyError {
                completion(.failure(error))
            } catch {
                completion(.failure(SQLiteWorkflowStore.failure(path, what, error)))
            }
        }
    }

    public func close() {
        writer.close()
        hub.close()
        checkpointer.close()
        writer.closeConnection()
        try? reader.close()
    }

    /// What the writer has done so far.
    public var stats: Stats { writer.stats.withLock { $0 } }

    /// Holds the writer before its next batch until the returned function is called (tests of batches).
    func holdWriter() -> @Sendable () -> Void { writer.hold() }

    /// The value of a pragma on the writer's connection (for tests of the settings).
    func writerPragma(_ name: String) throws -> String? { try writer.pragma(name) }

    // MARK: - Loading

    static func list(_ statuses: Set<WorkflowStatus>, limit: Int, _ db: Database, path: String) throws -> [WorkflowRecord] {
        var sql = "SELECT workflow_id, run_id, entry, entry_kind, registry_version, input, status, result FROM workflow_runs"
        var arguments: [(any DatabaseValueConvertible)?] = []
        if !statuses.isEmpty {
            sql += " WHERE status IN (" + Array(repeating: "?", count: statuses.count).joined(separator: ", ") + ")"
            arguments = statuses.map(\.rawValue).sorted()
        }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(Int64(clamping: limit))
        return try records(db, sql: sql, arguments: StatementArguments(arguments), path: path)
    }

    /// The running runs that need a node: no wake time, one at or before `before`, or a pending signal.
    static func ready(before: Int64, workflowIDs: [String]?, limit: Int, _ db: Database, path: String) throws -> [WorkflowRecord] {
        var sql = """
            SELECT workflow_id, run_id, entry, entry_kind, registry_version, input, status, result FROM workflow_runs r
            WHERE status = 'running'
                AND (wake_at IS NULL OR wake_at <= ? OR EXISTS (SELECT 1 FROM workflow_signals s WHERE s.workflow_id = r.workflow_id))
            """
        var arguments: [(any DatabaseValueConvertible)?] = [before]
        if let workflowIDs {
            sql += " AND workflow_id IN (" + Array(repeating: "?", count: workflowIDs.count).joined(separator: ", ") + ")"
            arguments += workflowIDs.map { $0 }
        }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(Int64(clamping: limit))
        return try records(db, sql: sql, arguments: StatementArguments(arguments), path: path)
    }

    /// The records of the rows `sql` selects (workflow_id, run_id, entry, entry_kind, registry_version,
    /// input, status, result).
    static func records(_ db: Database, sql: String, arguments: StatementArguments, path: String) throws -> [WorkflowRecord] {
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        var records: [WorkflowRecord] = []
        while let row = try rows.next() {
            let run = WorkflowRunID(workflowID: row[0], runID: row[1])
            guard let entry: String = row[2], let kind: String = row[3], let version: Int64 = row[4], let input: Data = row[5],
                let statusText: String = row[6], let status = WorkflowStatus(rawValue: statusText)
            else { throw damaged(path, "run \(run): its record has an empty or unknown field") }
            let result: Data? = row[7]
            records.append(
                WorkflowRecord(
                    run: run, entry: EntryID(parsing: entry), entryKind: kind, registryVersion: UInt64(bitPattern: version),
                    input: [UInt8](input), status: status, result: result.map { [UInt8]($0) }))
        }
        return records
    }

    static func load(
        _ run: WorkflowRunID, _ db: Database, path: String, layout: SQLiteWorkflowSchema.Layout
    ) throws -> WorkflowRun? {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT id, entry, entry_kind, registry_version, input, status, result, last_seq
                FROM \(layout.runsWithProgress) WHERE workflow_id = ? AND run_id = ?
                """,
            arguments: [run.workflowID, run.runID])
        guard let row else { return nil }
        func damage(_ problem: String) -> WippyError { damaged(path, "run \(run): \(problem)") }
        let rowID: Int64 = row[0]
        guard let entry: String = row[1], let kind: String = row[2], let version: Int64 = row[3], let input: Data = row[4],
            let statusText: String = row[5], let last: Int64 = row[7]
        else { throw damage("its record has an empty field") }
        guard let status = WorkflowStatus(rawValue: statusText) else { throw damage("unknown status '\(statusText)'") }
        let result: Data? = row[6]
        let record = WorkflowRecord(
            run: run, entry: EntryID(parsing: entry), entryKind: kind, registryVersion: UInt64(bitPattern: version),
            input: [UInt8](input), status: status, result: result.map { [UInt8]($0) })
        var journal = JournalVerifier(run: run, lastSeq: UInt64(bitPattern: last)) { seq, problem in
            damaged(path, run: run, seq: seq, problem)
        }
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT seq, kind, key, payload, checksum, \(layout.hasTimes ? "time" : "NULL") FROM workflow_journal "
                + "WHERE run = ? ORDER BY seq",
            arguments: [rowID])
        while let row = try rows.next() {
            let payload: Data? = row[3]
            try journal.add(
                seq: UInt64(bitPattern: row[0] as Int64), kind: row[1], key: row[2], payload: payload.map { [UInt8]($0) },
                checksum: row[4], time: row[5])
        }
        let events = try journal.finish()
        return WorkflowRun(record: record, events: events)
    }

    // MARK: - Errors

    /// `Invalid`: the file is damaged, and what is wrong.
    static func damaged(_ path: String, _ problem: String) -> WippyError {
        WippyError.invalid("workflow store \(path) is damaged: \(problem); it is not replayed")
    }

    /// `Invalid`: a run's journal is damaged at `seq`.
    static func damaged(_ path: String, run: WorkflowRunID, seq: UInt64, _ problem: String) -> WippyError {
        WippyError.invalid(
            "workflow store \(path) is damaged: the journal of workflow \(run.workflowID) (run \(run.runID)) is damaged at "
                + "seq \(seq): \(problem); it is not replayed")
    }

    /// A database error: damage (a malformed or truncated file, not a database) is named as such.
    static func failure(_ path: String, _ what: String, _ error: any Error) -> WippyError {
        guard let error = error as? DatabaseError else { return WippyError("workflow store \(path): \(what): \(error)", kind: .internal) }
        let message = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_IOERR:
            return damaged(path, "\(what): \(message)")
        default:
            return WippyError("workflow store \(path): \(what): \(message)", kind: .internal)
        }
    }
}
