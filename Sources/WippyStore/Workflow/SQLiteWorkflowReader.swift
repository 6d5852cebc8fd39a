public import WippyCore
import Foundation
import GRDB

/// A read-only view of a workflow store file, for tools (`wippy workflow list` and `show`): it never
/// creates, migrates or writes the database, and reads beside a running runtime without blocking it (the
/// file is in WAL mode: a reader sees the last commit and the writer goes on).
///
/// Reads a store of the current layout, of version 2 (before timer and signal rows, which it does not read),
/// or of version 1 (before event times and history sizes: those read as nil and as computed from the
/// journal).
public final class SQLiteWorkflowReader: Sendable {
    public let path: String
    private let connection: DatabaseQueue
    private let layout: SQLiteWorkflowSchema.Layout

    /// Opens the store at `path` read-only.
    ///
    /// - Throws: `NotFound` when there is no file at `path` (nothing is created); `Invalid` naming the
    ///   file when it is empty, truncated, not a database, not a workflow store, or of a schema version this
    ///   build does not read.
    public init(path: String) throws(WippyError) {
        self.path = path
        guard SQLiteFileCheck.exists(path) else { throw WippyError.notFound("workflow store \(path) does not exist") }
        let file = SQLiteFileCheck(path: path)
        if let problem = file.emptyFileProblem() ?? file.truncationProblem() { throw SQLiteWorkflowStore.damaged(path, problem) }
        var configuration = Configuration()
        configuration.label = "workflow-store-inspector"
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        do {
            connection = try DatabaseQueue(path: path, configuration: configuration)
            let layout = try connection.read { db in try SQLiteWorkflowSchema.check(db, path: path) }
            guard layout != .empty else {
                throw WippyError.invalid("workflow store \(path) holds no tables; not a workflow store yet")
            }
            self.layout = layout
        } catch let error as WippyError {
            throw error
        } catch {
            throw SQLiteWorkflowStore.failure(path, "cannot open", error)
        }
    }

    /// The runs whose status is in `statuses` (every run when empty), oldest first, at most `limit`.
    public func summaries(statuses: Set<WorkflowStatus> = [], limit: Int = .max) throws(WippyError) -> [WorkflowRunSummary] {
        var sql = ""
        var arguments: [(any DatabaseValueConvertible)?] = []
        if !statuses.isEmpty {
            sql += " WHERE status IN (" + Array(repeating: "?", count: statuses.count).joined(separator: ", ") + ")"
            arguments = statuses.map(\.rawValue).sorted()
        }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(Int64(clamping: limit))
        return try summaries(where: sql, arguments: arguments, what: "cannot list runs")
    }

    /// The runs of workflow `workflowID`, oldest first (more than one after a continue-as-new or a restart
    /// under a reuse policy).
    public func summaries(workflowID: String) throws(WippyError) -> [WorkflowRunSummary] {
        try summaries(where: " WHERE workflow_id = ? ORDER BY id", arguments: [workflowID], what: "cannot read \(workflowID)")
    }

    /// Loads `run` and its whole journal, checked as ``SQLiteWorkflowStore`` checks it (nil when it is not
    /// recorded).
    ///
    /// - Throws: `Invalid` for a damaged journal, naming the workflow, the run and the sequence number.
    public func load(_ run: WorkflowRunID) throws(WippyError) -> WorkflowRun? {
        let path = path
        let layout = layout
        do {
            return try connection.read { db in try SQLiteWorkflowStore.load(run, db, path: path, layout: layout) }
        } catch let error as WippyError {
            throw error
        } catch {
            throw SQLiteWorkflowStore.failure(path, "cannot load \(run)", error)
        }
    }

    public func close() {
        try? connection.close()
    }

    private func summaries(
        where clause: String, arguments: [(any DatabaseValueConvertible)?], what: String
    ) throws(WippyError) -> [WorkflowRunSummary] {
        let size = layout.hasTimes ? "history_size" : SQLiteWorkflowSchema.historySizeExpression
        let sql = """
            SELECT workflow_id, run_id, entry, entry_kind, registry_version, input, status, result, last_seq, \(size),
                created_at, updated_at
            FROM \(layout.runsWithProgress)
            """ + clause
        let path = path
        do {
            return try connection.read { db in
                let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
                var summaries: [WorkflowRunSummary] = []
                while let row = try rows.next() {
                    let run = WorkflowRunID(workflowID: row[0], runID: row[1])
                    guard let entry: String = row[2], let kind: String = row[3], let version: Int64 = row[4],
                        let input: Data = row[5], let statusText: String = row[6], let last: Int64 = row[8],
                        let size: Int64 = row[9], let created: Int64 = row[10], let updated: Int64 = row[11]
                    else { throw SQLiteWorkflowStore.damaged(path, "run \(run): its record has an empty field") }
                    guard let status = WorkflowStatus(rawValue: statusText) else {
                        throw SQLiteWorkflowStore.damaged(path, "run \(run): unknown status '\(statusText)'")
                    }
                    let result: Data? = row[7]
                    let record = WorkflowRecord(
                        run: run, entry: EntryID(parsing: entry), entryKind: kind, registryVersion: UInt64(bitPattern: version),
                        input: [UInt8](input), status: status, result: result.map { [UInt8]($0) })
                    summaries.append(
                        WorkflowRunSummary(
                            record: record, historyLength: UInt64(bitPattern: last), historySize: UInt64(clamping: size),
                            createdAt: created, updatedAt: updated))
                }
                return summaries
            }
        } catch let error as WippyError {
            throw error
        } catch {
            throw SQLiteWorkflowStore.failure(path, what, error)
        }
    }
}
