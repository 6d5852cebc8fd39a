import Foundation
import GRDB
import Synchronization
import WippyCore

/// The one thread that writes a ``SQLiteWorkflowStore``: group commit with no timer.
///
/// Submitters append to a queue under a lock and return. The writer takes everything queued, validates
/// each item against the journals, writes the valid ones in one IMMEDIATE transaction and commits, then
/// hands the batch to its ``WorkflowJournalSyncer``, which flushes the write-ahead log and calls every
/// completion while the writer goes on with the next batch (a batch with nothing queued behind it and an
/// idle syncer is flushed and acknowledged by the writer itself: no hand-off for a lone write). What arrives while a commit is in progress is
/// the next batch, so the batch grows with the load and a lone write is committed at once. (Where the log
/// file cannot be opened for flushing, the connection keeps `synchronous = FULL` and the commit itself
/// flushes; the syncer then only acknowledges.)
///
/// The queue also takes signals (``SQLiteWorkflowStore/signal(workflowID:topic:sender:payload:completion:)``):
/// they are recorded in the same transactions as the journal writes.
///
/// An item that does not continue its run's journal is refused alone, before anything of it is written.
/// A database error while writing an item (rare: a full disk, a constraint the checks did not foresee)
/// rolls the batch back; the batch is then written again item by item, so the error reaches only the
/// items it belongs to.
///
/// Thread safety: `submissions` is a ``BatchQueue``; `runs` and `connection` are touched only by the
/// writer thread (and by `init`/`close`, before it starts and after it ended); `stats` is a `Mutex`.
/// Hence `@unchecked Sendable`.
final class WorkflowJournalWriter: @unchecked Sendable {
    typealias Completion = @Sendable (Result<Void, WippyError>) -> Void
    /// An item's outcome: a signal's id, 0 for a write.
    typealias Outcome = Result<UInt64, WippyError>

    typealias Item = WorkflowStoreItem
    typealias NewSignal = WorkflowStoreItem.NewSignal

    private struct Submission {
        var item: Item
        var completion: @Sendable (Outcome) -> Void
        /// The ``JournalChecksum`` of each event of a write, then of its successor's: computed by the
        /// submitter, off the writer's thread (the one thread every commit waits for).
        var checksums: [Int64]
    }

    /// The checksums ``Submission`` carries for `item`.
    private static func checksums(of item: Item) -> [Int64] {
        guard case .write(let write) = item else { return [] }
        // Read in place: no copy of the write (or of its successor's start) per submission.
        var checksums: [Int64] = []
        checksums.reserveCapacity(write.events.count + (write.successor?.events.count ?? 0))
        for event in write.events {
            checksums.append(JournalChecksum.of(write.run, seq: event.seq, kind: event.kind, key: event.key, payload: event.payload))
        }
        if let successor = write.successor {
            let run = successor.record.run
            for event in successor.events {
                checksums.append(JournalChecksum.of(run, seq: event.seq, kind: event.kind, key: event.key, payload: event.payload))
            }
        }
        return checksums
    }

    /// What the writer knows of a run it wrote or checked: its row id, last sequence number and status.
    struct RunState {
        var rowID: Int64
        var lastSeq: UInt64
        var status: WorkflowStatus
    }

    let path: String
    private let connection: DatabaseQueue
    private let submissions = BatchQueue<Submission>()
    /// Runs seen lately; emptied when it passes `cachedRunLimit` (a miss costs one indexed read).
    private var runs: [WorkflowRunID: RunState] = [:]
    private static let cachedRunLimit = 100_000
    let stats = Mutex(WorkflowStoreStats())

    private let checkpointer: WALCheckpointer
    private let wakeups: WorkflowWakeupHub
    private let syncer: WorkflowJournalSyncer
    /// Whether commits leave the flush to `syncer` (the connection commits with `synchronous = NORMAL`).
    private let flushesAfterCommit: Bool
    /// Whether a lone batch is flushed and acknowledged on this thread (tests turn it off to see the
    /// hand-off).
    private let acknowledgesLoneBatches: Bool
    /// The hot statements, prepared once on the writer's connection and kept: GRDB's statement cache looks
    /// each one up by hashing its SQL text, thousands of times per commit. Indexed by the query's number.
    private var prepared = [Statement?](repeating: nil, count: Query.allCases.count)
    /// Where the text and blob values bound to them are copied (see ``SQLiteBindArena``).
    private let arena = SQLiteBindArena()

    /// The statements the writer runs for every write.
    private enum Query: Int, CaseIterable {
        case state, stepUpdate, update, insertRun, insertProgress, takeSignal, insertEvent, insertTwoEvents

        var sql: String {
            switch self {
            case .state:
                """
                SELECT id, last_seq, status FROM workflow_runs JOIN workflow_progress ON workflow_progress.run = workflow_runs.id
                WHERE workflow_id = ? AND run_id = ?
                """
            case .stepUpdate: "UPDATE workflow_progress SET last_seq = ?, updated_at = ?, history_size = history_size + ? WHERE run = ?"
            case .update:
                "UPDATE workflow_runs SET status = ?, result = coalesce(?, result), wake_at = CASE WHEN ? THEN ? ELSE wake_at END WHERE id = ?"
            case .insertRun:
                """
                INSERT INTO workflow_runs (workflow_id, run_id, entry, entry_kind, registry_version, input, status, result,
                    created_at, wake_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
            case .insertProgress: "INSERT INTO workflow_progress (run, last_seq, updated_at, history_size) VALUES (?, ?, ?, ?)"
            case .takeSignal: "DELETE FROM workflow_signals WHERE id = ?"
            case .insertEvent: "INSERT INTO workflow_journal (run, seq, kind, key, payload, checksum, time) VALUES (?, ?, ?, ?, ?, ?, ?)"
            // A step's write holds two events (an answer and the next command): one statement for both.
            case .insertTwoEvents:
                "INSERT INTO workflow_journal (run, seq, kind, key, payload, checksum, time) VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)"
            }
        }
    }

    private func statement(_ query: Query, _ db: Database) throws -> Statement {
        if let statement = prepared[query.rawValue] { return statement }
        let statement = try db.makeStatement(sql: query.sql)
        prepared[query.rawValue] = statement
        return statement
    }

    /// - Parameters:
    ///   - flush: replaces the flush of the write-ahead log (tests hold it to see that nothing is
    ///     acknowledged before it, or make it fail); nil: the log file's own.
    ///   - acknowledgesLoneBatches: false hands every batch to the syncer (tests of the hand-off).
    init(
        path: String, connection: DatabaseQueue, checkpointer: WALCheckpointer, wakeups: WorkflowWakeupHub,
        flush: WorkflowJournalSyncer.Flush? = nil, acknowledgesLoneBatches: Bool = true
    ) throws {
        self.path = path
        self.acknowledgesLoneBatches = acknowledgesLoneBatches
        self.connection = connection
        self.checkpointer = checkpointer
        self.wakeups = wakeups
        if let flush {
            syncer = WorkflowJournalSyncer(flush: flush)
            flushesAfterCommit = true
        } else if let log = WriteAheadLogFile(database: path) {
            syncer = WorkflowJournalSyncer(flush: { log.flush() })
            flushesAfterCommit = true
        } else {
            syncer = WorkflowJournalSyncer(flush: { nil })
            flushesAfterCommit = false
        }
        if flushesAfterCommit {
            try connection.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        }
    }

    /// Starts the writer thread (and its syncer's).
    func start() {
        syncer.start()
        let thread = Thread { [self] in run() }
        thread.name = "wippy-workflow-journal"
        thread.start()
    }

    /// Queues a write; the completion is called at once (on this thread) when the writer is closed.
    func submit(_ write: WorkflowWrite, completion: @escaping Completion) {
        submit(.write(write)) { outcome in completion(outcome.map { _ in () }) }
    }

    /// Queues an item; the completion is called at once (on this thread) when the writer is closed.
    func submit(_ item: Item, completion: @escaping @Sendable (Outcome) -> Void) {
        let checksums = Self.checksums(of: item)
        guard submissions.append(Submission(item: item, completion: completion, checksums: checksums)) else {
            completion(.failure(.unavailable("workflow store \(path) is closed; \(item.what) was not written")))
            return
        }
    }

    /// Keeps the writer from taking its next batch until the returned function is called, so that what is
    /// submitted meanwhile is written as one batch (tests of batches; closing lifts it).
    func hold() -> @Sendable () -> Void { submissions.hold() }

    /// Commits what is queued, stops the thread and waits for it.
    func close() { submissions.close() }

    /// The value of a pragma on the writer's connection (GRDB serialises the access with the writer's).
    func pragma(_ name: String) throws -> String? {
        try connection.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    /// Closes the database connection once the thread has ended (later pragma reads fail).
    func closeConnection() {
        if submissions.isFinished {
            prepared = prepared.map { _ in nil }
            try? connection.close()
        }
    }

    // MARK: - The writer thread

    private func run() {
        while let batch = submissions.take() { commit(batch) }
        // Everything committed is flushed and acknowledged before `close` returns.
        syncer.close()
        submissions.finish()
    }

    private func commit(_ batch: [Submission]) {
        if let broken = syncer.broken {
            syncer.enqueue(.init(needsFlush: false) { _ in
                for submission in batch { submission.completion(.failure(broken)) }
            })
            return
        }
        var outcomes: [Outcome] = []
        var commits = 0
        do {
            outcomes = try write(batch)
            commits = 1
        } catch {
            // Rolled back: each item again in its own transaction, so an error fails only its own item.
            runs.removeAll()
            outcomes = batch.map { submission in
                do {
                    let outcome = try write([submission])[0]
                    commits += 1
                    return outcome
                } catch {
                    runs.removeAll()
                    return .failure(failure("cannot write \(submission.item.what)", error))
                }
            }
        }
        var failed = 0
        var events = 0
        var signals = 0
        for (submission, outcome) in zip(batch, outcomes) {
            guard case .success = outcome else {
                failed += 1
                continue
            }
            switch submission.item {
            case .write(let write): events += write.events.count + (write.successor?.events.count ?? 0)
            case .signal: signals += 1
            }
        }
        if commits > 0 { checkpointer.request() }
        stats.withLock { stats in
            stats.commits += commits
            stats.items += batch.count
            stats.failedItems += failed
            stats.events += events
            stats.signals += signals
            stats.largestBatch = max(stats.largestBatch, batch.count)
        }
        let wakeups = wakeups
        let committed = WorkflowJournalSyncer.Batch(needsFlush: commits > 0 && flushesAfterCommit) { error in
            for (submission, outcome) in zip(batch, outcomes) {
                if let error, case .success = outcome {
                    submission.completion(.failure(error))
                } else {
                    submission.completion(outcome)
                }
            }
            guard error == nil, signals > 0, wakeups.hasSubscribers else { return }
            for (submission, outcome) in zip(batch, outcomes) {
                if case .signal(let signal) = submission.item, case .success = outcome {
                    wakeups.post(WorkflowWakeup(workflowID: signal.workflowID, reason: .signal))
                }
            }
        }
        // Nothing else to write: flushed and acknowledged here, with no hand-off (a lone write's latency).
        if acknowledgesLoneBatches && submissions.isEmpty && syncer.acknowledgeHereIfIdle(committed) {
            if commits > 0 { stats.withLock { $0.commitsFlushedByWriter += commits } }
            return
        }
        syncer.enqueue(committed)
    }

    /// Writes `items` in one transaction and commits it. Returns each item's outcome (refused items were not
    /// written); throws, with everything rolled back, on a database error.
    private func write(_ submissions: [Submission]) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(submissions.count)
        // `runs` takes each item's new state at once (one hash per item, not a second map merged after the
        // commit): a batch that throws is rolled back, and `commit` then empties `runs` before anything else
        // reads it, so no state of an uncommitted write outlives its transaction.
        if runs.count > WorkflowJournalWriter.cachedRunLimit { runs.removeAll() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try connection.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                for submission in submissions {
                    do {
                        switch submission.item {
                        case .write(let item):
                            // The run is hashed once: its state is updated in place through this index. A start
                            // reads nothing: the run's UNIQUE key refuses one already stored (`apply` reports it
                            // as existing), and a run this writer knows is refused by `check`.
                            let cached = runs.index(forKey: item.run)
                            let state: RunState? =
                                if let cached { runs.values[cached] } else if item.start != nil { nil } else { try stored(item.run, db) }
                            let next = try check(item, state)
                            // Continue-as-new: the successor is checked with the write, and both are applied or neither.
                            let successor = item.successorStart
                            if let successor {
                                try checkSuccessor(item, successor)
                                _ = try check(successor, try self.state(of: successor.run, db))
                            }
                            try checkSignals(item, db)
                            let checksums = submission.checksums
                            let split = item.events.count
                            let applied = try apply(item, state: state, next: next, checksums: checksums[..<split], db, now: now)
                            if let cached { runs.values[cached] = applied } else { runs[item.run] = applied }
                            if let successor {
                                runs[successor.run] = try apply(successor, state: nil, next: 1, checksums: checksums[split...], db, now: now)
                            }
                            outcomes.append(.success(0))
                        case .signal(let signal):
                            outcomes.append(.success(try record(signal, db, now: now)))
                        }
                    } catch let error as WippyError {
                        outcomes.append(.failure(error))
                    }
                }
                return .commit
            }
        }
        return outcomes
    }

    private func state(of run: WorkflowRunID, _ db: Database) throws -> RunState? {
        if let state = runs[run] { return state }
        return try stored(run, db)
    }

    /// The state of a run as the file holds it (one indexed read).
    private func stored(_ run: WorkflowRunID, _ db: Database) throws -> RunState? {
        let statement = try statement(.state, db)
        guard let row = try Row.fetchOne(statement, arguments: [run.workflowID, run.runID]) else { return nil }
        let text: String? = row[2]
        guard let text, let status = WorkflowStatus(rawValue: text) else {
            throw SQLiteWorkflowStore.damaged(path, "run \(run) has the unknown status '\(text ?? "NULL")'")
        }
        let last: Int64 = row[1]
        return RunState(rowID: row[0], lastSeq: UInt64(clamping: last), status: status)
    }

    /// Refuses an item that does not fit the run as stored; returns the sequence number its events must
    /// start at.
    private func check(_ item: WorkflowWrite, _ state: RunState?) throws(WippyError) -> UInt64 {
        let run = item.run
        if let start = item.start {
            guard start.run == run else {
                throw WippyError.invalid("workflow store: a write for \(run) starts the run \(start.run)")
            }
            guard state == nil else { throw WippyError.alreadyExists("workflow store \(path): run \(run) already exists") }
        } else {
            guard let state else { throw WippyError.notFound("workflow store \(path): no run \(run)") }
            guard !state.status.isFinal else {
                throw WippyError(
                    "workflow store \(path): run \(run) is \(state.status); nothing more is written to it",
                    kind: .conflict, retryable: false)
            }
        }
        var expected = (state?.lastSeq ?? 0) + 1
        let first = expected
        for event in item.events {
            guard event.seq == expected else {
                let what = event.seq < expected ? "is already in the journal or repeated" : "leaves a gap"
                throw WippyError(
                    "workflow store \(path): run \(run): event \(event.seq) (\(event.kind)) \(what); the next event must be \(expected)",
                    kind: .conflict, retryable: false)
            }
            expected += 1
        }
        return first
    }

    private func apply(
        _ item: WorkflowWrite, state: RunState?, next: UInt64, checksums: ArraySlice<Int64>, _ db: Database, now: Int64
    ) throws -> RunState {
        guard checksums.count == item.events.count else {
            throw WippyError.internal("workflow store \(path): run \(item.run): \(checksums.count) checksums for \(item.events.count) events")
        }
        let lastSeq = item.events.last?.seq ?? (next - 1)
        let addedSize = Int64(item.events.reduce(0) { $0 + $1.byteSize })
        let rowID: Int64
        let status: WorkflowStatus
        if let start = item.start {
            status = item.status ?? start.status
            var insert = SQLiteRawStatement(try statement(.insertRun, db), db, arena: arena)
            insert.bind(item.run.workflowID)
            insert.bind(item.run.runID)
            insert.bind(start.entry.description)
            insert.bind(start.entryKind)
            insert.bind(Int64(bitPattern: start.registryVersion))
            insert.bind(start.input)
            insert.bind(status.rawValue)
            insert.bind(item.result ?? start.result)
            insert.bind(now)
            insert.bind(status.isFinal ? nil : item.wake?.storedValue)
            do {
                try insert.execute()
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                // Only this statement is undone (SQLite's ABORT); the rest of the batch stands.
                throw WippyError.alreadyExists("workflow store \(path): run \(item.run) already exists")
            }
            rowID = db.lastInsertedRowID
            var progress = SQLiteRawStatement(try statement(.insertProgress, db), db, arena: arena)
            progress.bind(rowID)
            progress.bind(Int64(bitPattern: lastSeq))
            progress.bind(now)
            progress.bind(addedSize)
            try progress.execute()
        } else {
            guard let state else { preconditionFailure("checked: the run exists") }
            rowID = state.rowID
            status = item.status ?? state.status
            // The wake time changes when the write sets one or ends the run (a final run has no timer).
            let setsWake = item.wake != nil || status.isFinal
            if status != state.status || item.result != nil || setsWake {
                var update = SQLiteRawStatement(try statement(.update, db), db, arena: arena)
                update.bind(status.rawValue)
                update.bind(item.result)
                update.bind(setsWake)
                update.bind(status.isFinal ? nil : item.wake?.storedValue)
                update.bind(rowID)
                try update.execute()
            }
            // Every write: the progress row (narrow, so a step changes little).
            var progress = SQLiteRawStatement(try statement(.stepUpdate, db), db, arena: arena)
            progress.bind(Int64(bitPattern: lastSeq))
            progress.bind(now)
            progress.bind(addedSize)
            progress.bind(rowID)
            try progress.execute()
        }
        if !item.takeSignals.isEmpty {
            var take = SQLiteRawStatement(try statement(.takeSignal, db), db, arena: arena)
            for id in item.takeSignals {
                take.bind(Int64(bitPattern: id))
                try take.execute()
            }
        }
        if item.events.count == 2 {
            var insert = SQLiteRawStatement(try statement(.insertTwoEvents, db), db, arena: arena)
            for (event, checksum) in zip(item.events, checksums) { bind(event, checksum: checksum, rowID: rowID, now: now, to: &insert) }
            try insert.execute()
        } else if !item.events.isEmpty {
            var insert = SQLiteRawStatement(try statement(.insertEvent, db), db, arena: arena)
            for (event, checksum) in zip(item.events, checksums) {
                bind(event, checksum: checksum, rowID: rowID, now: now, to: &insert)
                try insert.execute()
            }
        }
        return RunState(rowID: rowID, lastSeq: lastSeq, status: status)
    }

    /// Binds the seven columns of one journal row.
    private func bind(_ event: JournalEvent, checksum: Int64, rowID: Int64, now: Int64, to insert: inout SQLiteRawStatement) {
        insert.bind(rowID)
        insert.bind(Int64(bitPattern: event.seq))
        insert.bind(event.kind)
        insert.bind(event.key)
        insert.bind(event.payload)
        insert.bind(checksum)
        insert.bind(event.time ?? now)
    }

    /// Refuses a successor (continue-as-new) that is not a new run of the same workflow following a run
    /// this write ends as `continued`.
    private func checkSuccessor(_ item: WorkflowWrite, _ successor: WorkflowWrite) throws(WippyError) {
        guard item.status == .continued, item.start == nil else {
            throw WippyError.invalid("workflow store \(path): run \(item.run): a successor run needs a write that ends the run as continued")
        }
        guard successor.run.workflowID == item.run.workflowID, successor.run != item.run else {
            throw WippyError.invalid("workflow store \(path): run \(item.run) cannot be continued by run \(successor.run)")
        }
    }

    /// Refuses a write that takes a signal not pending for its workflow (taken already, by this write twice,
    /// or another workflow's).
    private func checkSignals(_ item: WorkflowWrite, _ db: Database) throws {
        guard !item.takeSignals.isEmpty else { return }
        guard Set(item.takeSignals).count == item.takeSignals.count else {
            throw WippyError(
                "workflow store \(path): run \(item.run): the write takes a signal twice", kind: .conflict, retryable: false)
        }
        let statement = try db.cachedStatement(sql: "SELECT workflow_id FROM workflow_signals WHERE id = ?")
        for id in item.takeSignals {
            let owner = try String.fetchOne(statement, arguments: [Int64(bitPattern: id)])
            guard owner == item.run.workflowID else {
                throw WippyError(
                    "workflow store \(path): run \(item.run): signal \(id) is not pending for workflow \(item.run.workflowID)"
                        + (owner == nil ? " (it was taken already)" : " (it is for workflow \(owner ?? ""))"),
                    kind: .conflict, retryable: false)
            }
        }
    }

    /// Records a signal for a workflow that has a run not ended; returns its id.
    private func record(_ signal: NewSignal, _ db: Database, now: Int64) throws -> UInt64 {
        let statuses = try String.fetchAll(
            db.cachedStatement(sql: "SELECT status FROM workflow_runs WHERE workflow_id = ?"), arguments: [signal.workflowID])
        guard !statuses.isEmpty else {
            throw WippyError.notFound("workflow store \(path): no workflow \(signal.workflowID); the signal '\(signal.topic)' was not recorded")
        }
        guard statuses.contains(where: { WorkflowStatus(rawValue: $0)?.isFinal == false }) else {
            throw WippyError(
                "workflow store \(path): workflow \(signal.workflowID) has ended; the signal '\(signal.topic)' was not recorded",
                kind: .conflict, retryable: false)
        }
        try db.cachedStatement(
            sql: "INSERT INTO workflow_signals (workflow_id, topic, sender, payload, created_at) VALUES (?, ?, ?, ?, ?)"
        ).execute(arguments: [signal.workflowID, signal.topic, signal.sender, Data(signal.payload), now])
        return UInt64(bitPattern: db.lastInsertedRowID)
    }

    private func failure(_ what: String, _ error: any Error) -> WippyError {
        if let error = error as? WippyError { return error }
        return SQLiteWorkflowStore.failure(path, what, error)
    }
}
