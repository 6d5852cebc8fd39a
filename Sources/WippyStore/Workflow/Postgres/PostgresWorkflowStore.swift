public import Logging
public import WippyCore
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// Workflow runs, journals, signals and timers in a PostgreSQL database that several nodes share: the
/// store of a `workflow.host` whose `store` names a `db.sql.postgres` entry.
///
/// Writes are group-committed by one writer task (``PostgresJournalWriter``) and acknowledged only after the
/// commit. Runs are held through leases with fencing generations (``WorkflowLeaseStore``): claims take runs
/// with `FOR UPDATE SKIP LOCKED`, leases are timed by the server's `now()`, and every write carrying a
/// ``WorkflowFence`` is checked against the run's current owner and generation in the transaction that
/// writes it. `LISTEN`/`NOTIFY` carries wake-up hints between nodes (``wakeups()``).
///
/// The store runs its own postgres-nio connection pool on an event loop thread of its own: the pool's
/// connections, the writer and every query run there (``EventLoopTaskExecutor``), never on Swift's shared
/// cooperative pool. So the blocking ``init(settings:startLease:logger:)`` and ``close()`` may be called
/// from any thread but that one (not from a completion), and nothing another store or a caller blocks can
/// stall this store.
public final class PostgresWorkflowStore: WorkflowLeaseStore {
    public let settings: PostgresConnectionSettings
    /// `workflow store postgres://user@host:port/database`, as errors name the store.
    public let name: String
    /// The schema the tables are in (the first of the `search_path`).
    public let schema: String
    /// The `LISTEN`/`NOTIFY` channel of this schema's store.
    let channel: String

    private let client: PostgresClient
    private let group: MultiThreadedEventLoopGroup
    private let executor: EventLoopTaskExecutor
    private let writer: PostgresJournalWriter
    private let hub = WorkflowWakeupHub()
    let logger: Logger
    private let clientDone = DispatchSemaphore(value: 0)
    private let writerDone = DispatchSemaphore(value: 0)

    private struct Lifecycle {
        var clientTask: Task<Void, Never>?
        var listenerTask: Task<Void, Never>?
        var listening = false
        var listeningWaiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }
    private let lifecycle = LockedState(Lifecycle())

    /// Connects to the database, creates the store's tables if the schema has none (or checks their
    /// version), and starts the pool and the writer. Blocks until then.
    ///
    /// - Parameters:
    ///   - startLease: how long a node holds a run it starts (``WorkflowWrite/start(_:events:owner:)``)
    ///     before it must renew the lease.
    /// - Throws: `Invalid` for bad settings or tables of another version, `Unavailable` when the server
    ///   cannot be reached or refuses the login; the message names the database.
    public init(
        settings: PostgresConnectionSettings, startLease: Duration = .seconds(30),
        logger: Logger = Logger(label: "wippy.workflow.postgres")
    ) throws(WippyError) {
        self.settings = settings
        self.logger = logger
        let name = "workflow store \(settings.description)"
        self.name = name
        let clientConfiguration = try settings.clientConfiguration()
        let connectionConfiguration = try settings.connectionConfiguration()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let eventLoop = group.next()
        let executor = EventLoopTaskExecutor(eventLoop: eventLoop)
        self.executor = executor
        let prepared = Self.blocking(executor) { () async throws(WippyError) -> String in
            do {
                let connection = try await PostgresConnection.connect(
                    on: eventLoop, configuration: connectionConfiguration, id: 0, logger: logger)
                do {
                    let schema = try await PostgresWorkflowSchema.prepare(connection, name: name, logger: logger)
                    try? await connection.close()
                    return schema
                } catch {
                    try? await connection.close()
                    throw error
                }
            } catch let error as WippyError {
                throw error
            } catch {
                throw Self.failure(name, "cannot open", error)
            }
        }
        let schema: String
        do {
            schema = try prepared.get()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.schema = schema
        channel = Self.channelName(schema: schema)
        client = PostgresClient(configuration: clientConfiguration, eventLoopGroup: group, backgroundLogger: logger)
        writer = PostgresJournalWriter(name: name, channel: channel, client: client, startLease: startLease, hub: hub, logger: logger)
        let client = client, writer = writer, clientDone = clientDone, writerDone = writerDone
        let clientTask = Task(executorPreference: executor) {
            await client.run()
            clientDone.signal()
        }
        lifecycle.withLock { $0.clientTask = clientTask }
        Task(executorPreference: executor) {
            await writer.run()
            writerDone.signal()
        }
    }

    deinit { close() }

    // MARK: - WorkflowStore

    public func submit(_ write: WorkflowWrite, completion: @escaping @Sendable (Result<Void, WippyError>) -> Void) {
        writer.submit(.write(write)) { outcome in completion(outcome.map { _ in () }) }
    }

    public func load(_ run: WorkflowRunID, completion: @escaping @Sendable (Result<WorkflowRun?, WippyError>) -> Void) {
        let name = name, logger = logger
        perform("cannot load \(run)", completion) { connection in
            // One snapshot for the record and the journal: a commit between the two reads would look like damage.
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let loaded = try await Self.load(run, connection, name: name, logger: logger)
                try await connection.query("COMMIT", logger: logger)
                return loaded
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    public func list(
        statuses: Set<WorkflowStatus>, limit: Int,
        completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void
    ) {
        let name = name, logger = logger
        perform("cannot list runs", completion) { connection in
            var binds = PostgresBindings()
            binds.append(statuses.isEmpty)
            binds.append(statuses.map(\.rawValue).sorted())
            binds.append(Int64(clamping: limit))
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT workflow_id, run_id, entry, entry_kind, registry_version, input, status, result
                        FROM wippy_workflow_runs WHERE $1::bool OR status = ANY($2::text[]) ORDER BY id LIMIT $3::int8
                        """, binds: binds),
                logger: logger)
            var records: [WorkflowRecord] = []
            for try await (workflowID, runID, entry, kind, version, input, status, result) in rows.decode(
                (String, String, String, String, Int64, ByteBuffer, String, ByteBuffer?).self)
            {
                let run = WorkflowRunID(workflowID: workflowID, runID: runID)
                records.append(try Self.record(run, entry, kind, version, input, status, result, name: name))
            }
            return records
        }
    }

    /// Stops taking writes, commits what is queued (its completions are called), stops listening and
    /// closes the pool. Blocks until the queue is committed (at most about 30 s when the server is
    /// unreachable: queued writes then fail with `Unavailable`); the pool's connections close just after.
    public func close() {
        let tasks = lifecycle.withLock { state -> (Task<Void, Never>?, Task<Void, Never>?)? in
            guard !state.closed else { return nil }
            state.closed = true
            defer { state.listeningWaiters = [] }
            for waiter in state.listeningWaiters { waiter.resume() }
            return (state.clientTask, state.listenerTask)
        }
        guard let (clientTask, listenerTask) = tasks else { return }
        writer.close()
        if writerDone.wait(timeout: .now() + 30) == .timedOut {
            // The server is gone: closing the pool fails the writer's pending connection request.
            clientTask?.cancel()
            writerDone.wait()
        }
        listenerTask?.cancel()
        hub.close()
        clientTask?.cancel()
        // The pool winds down on its own (postgres-nio's run() reacts to cancellation through a task on Swift's
        // shared pool, which the callers of close() may be blocking): a thread of its own waits for it, then
        // stops the store's event loop. Nothing of the store is used after this point.
        let clientDone = clientDone, group = group
        let reaper = Thread {
            if clientDone.wait(timeout: .now() + 60) == .success { try? group.syncShutdownGracefully() }
        }
        reaper.name = "wippy-workflow-postgres-close"
        reaper.start()
    }

    /// What the writer has done so far.
    public var stats: WorkflowStoreStats { writer.stats.withLock { $0 } }

    // MARK: - WorkflowSignalStore

    public func signal(
        workflowID: String, topic: String, sender: String, payload: [UInt8],
        completion: @escaping @Sendable (Result<UInt64, WippyError>) -> Void
    ) {
        writer.submit(.signal(.init(workflowID: workflowID, topic: topic, sender: sender, payload: payload)), completion: completion)
    }

    public func pendingSignals(
        workflowID: String, limit: Int, completion: @escaping @Sendable (Result<[WorkflowSignal], WippyError>) -> Void
    ) {
        let logger = logger
        perform("cannot read the signals of \(workflowID)", completion) { connection in
            var binds = PostgresBindings()
            binds.append(workflowID)
            binds.append(Int64(clamping: limit))
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT id, topic, sender, payload FROM wippy_workflow_signals
                        WHERE workflow_id = $1 ORDER BY id LIMIT $2::int8
                        """, binds: binds),
                logger: logger)
            var signals: [WorkflowSignal] = []
            for try await (id, topic, sender, payload) in rows.decode((Int64, String, String, ByteBuffer).self) {
                signals.append(
                    WorkflowSignal(
                        id: UInt64(bitPattern: id), workflowID: workflowID, topic: topic, sender: sender,
                        payload: Array(payload.readableBytesView)))
            }
            return signals
        }
    }

    public func dueRuns(before: Int64?, limit: Int, completion: @escaping @Sendable (Result<[WorkflowDueRun], WippyError>) -> Void) {
        let logger = logger
        perform("cannot list due runs", completion) { connection in
            var binds = PostgresBindings()
            binds.append(before)
            binds.append(Int64(clamping: limit))
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT workflow_id, run_id, wake_at FROM wippy_workflow_runs
                        WHERE wake_at <= coalesce($1::int8, (extract(epoch FROM now()) * 1000)::int8)
                            AND wake_at < 9223372036854775807 AND status IN \(PostgresWorkflowSchema.nonFinal)
                        ORDER BY wake_at, id LIMIT $2::int8
                        """, binds: binds),
                logger: logger)
            var due: [WorkflowDueRun] = []
            for try await (workflowID, runID, wakeAt) in rows.decode((String, String, Int64).self) {
                due.append(WorkflowDueRun(run: WorkflowRunID(workflowID: workflowID, runID: runID), wakeAt: wakeAt))
            }
            return due
        }
    }

    public func runs(workflowID: String, completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void) {
        summaries(statuses: [], workflowID: workflowID, limit: .max) { result in completion(result.map { $0.map(\.record) }) }
    }

    public func signaledWorkflows(limit: Int, completion: @escaping @Sendable (Result<[String], WippyError>) -> Void) {
        let logger = logger
        perform("cannot list signaled workflows", completion) { connection in
            var binds = PostgresBindings()
            binds.append(Int64(clamping: limit))
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT DISTINCT workflow_id FROM wippy_workflow_signals LIMIT $1::int8", binds: binds),
                logger: logger)
            var ids: [String] = []
            for try await id in rows.decode(String.self) { ids.append(id) }
            return ids
        }
    }

    /// Run summaries for `wippy workflow list|show`: the runs whose status is in `statuses` (every run when
    /// empty), of `workflowID` only when given, oldest first, at most `limit`.
    public func summaries(
        statuses: Set<WorkflowStatus>, workflowID: String?, limit: Int,
        completion: @escaping @Sendable (Result<[WorkflowRunSummary], WippyError>) -> Void
    ) {
        let name = name, logger = logger
        perform("cannot list runs", completion) { connection in
            var binds = PostgresBindings()
            binds.append(statuses.isEmpty)
            binds.append(statuses.map(\.rawValue).sorted())
            binds.append(workflowID)
            binds.append(Int64(clamping: limit))
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT r.workflow_id, r.run_id, r.entry, r.entry_kind, r.registry_version, r.input, r.status, r.result,
                            r.host, r.last_seq,
                            (SELECT coalesce(sum(octet_length(j.kind) + octet_length(j.key) + octet_length(j.payload)), 0)::int8
                                FROM wippy_workflow_journal j WHERE j.run = r.id),
                            (extract(epoch FROM r.created_at) * 1000)::int8, (extract(epoch FROM r.updated_at) * 1000)::int8
                        FROM wippy_workflow_runs r
                        WHERE ($1::bool OR r.status = ANY($2::text[])) AND ($3::text IS NULL OR r.workflow_id = $3::text)
                        ORDER BY r.id LIMIT $4::int8
                        """, binds: binds),
                logger: logger)
            var summaries: [WorkflowRunSummary] = []
            for try await (workflowID, runID, entry, kind, version, input, status, result, host, last, size, created, updated)
                in rows.decode(
                    (String, String, String, String, Int64, ByteBuffer, String, ByteBuffer?, String, Int64, Int64, Int64, Int64).self)
            {
                var record = try Self.record(
                    WorkflowRunID(workflowID: workflowID, runID: runID), entry, kind, version, input, status, result, name: name)
                record.host = host
                summaries.append(
                    WorkflowRunSummary(
                        record: record, historyLength: UInt64(bitPattern: last), historySize: UInt64(bitPattern: size),
                        createdAt: created, updatedAt: updated))
            }
            return summaries
        }
    }

    public func readyRuns(
        before: Int64?, workflowIDs: [String]?, limit: Int,
        completion: @escaping @Sendable (Result<[WorkflowRecord], WippyError>) -> Void
    ) {
        let name = name, logger = logger
        perform("cannot list ready runs", completion) { connection in
            var binds = PostgresBindings()
            binds.append(before)
            binds.append(workflowIDs == nil)
            binds.append(workflowIDs ?? [])
            binds.append(Int64(clamping: limit))
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT r.workflow_id, r.run_id, r.entry, r.entry_kind, r.registry_version, r.input, r.status, r.result, r.host
                        FROM wippy_workflow_runs r
                        WHERE r.status = 'running' AND ($2::bool OR r.workflow_id = ANY($3::text[]))
                            AND (r.wake_at IS NULL
                                OR r.wake_at <= coalesce($1::int8, (extract(epoch FROM now()) * 1000)::int8)
                                OR EXISTS (SELECT 1 FROM wippy_workflow_signals s WHERE s.workflow_id = r.workflow_id))
                        ORDER BY r.id LIMIT $4::int8
                        """, binds: binds),
                logger: logger)
            var records: [WorkflowRecord] = []
            for try await (workflowID, runID, entry, kind, version, input, status, result, host) in rows.decode(
                (String, String, String, String, Int64, ByteBuffer, String, ByteBuffer?, String).self)
            {
                var record = try Self.record(
                    WorkflowRunID(workflowID: workflowID, runID: runID), entry, kind, version, input, status, result, name: name)
                record.host = host
                records.append(record)
            }
            return records
        }
    }

    /// Hints from every node sharing the database (`LISTEN` on the store's channel, started by the first
    /// call, reconnected when its connection drops), and at once for signals this store recorded.
    public func wakeups() -> AsyncStream<WorkflowWakeup> {
        let stream = hub.subscribe()
        startListening()
        return stream
    }

    /// Returns once the `LISTEN` of ``wakeups()`` is in place (or the store is closed): from then on, hints
    /// from other nodes arrive.
    func listening() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lifecycle.withLock { state -> Bool in
                guard !state.listening && !state.closed else { return true }
                state.listeningWaiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    private func startListening() {
        let client = client, channel = channel, hub = hub, logger = logger, lifecycle = lifecycle
        lifecycle.withLock { state in
            guard state.listenerTask == nil && !state.closed else { return }
            state.listenerTask = Task(executorPreference: executor) {
                while !Task.isCancelled {
                    do {
                        try await client.withConnection { connection in
                            try await connection.listen(on: channel) { notifications in
                                let waiters = lifecycle.withLock { state in
                                    state.listening = true
                                    defer { state.listeningWaiters = [] }
                                    return state.listeningWaiters
                                }
                                for waiter in waiters { waiter.resume() }
                                for try await notification in notifications {
                                    if let wakeup = Self.wakeup(notification.payload) { hub.post(wakeup) }
                                }
                            }
                        }
                    } catch {
                        if Task.isCancelled { break }
                        logger.warning("workflow store: LISTEN \(channel) failed; listening again in 1 s", metadata: ["error": "\(error)"])
                    }
                    lifecycle.withLock { $0.listening = false }
                    // A pause before reconnecting, so a server that is down is not hammered (not a wait for an event).
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    static func wakeup(_ payload: String) -> WorkflowWakeup? {
        guard payload.count > 2, let colon = payload.firstIndex(of: ":") else { return nil }
        let workflowID = String(payload[payload.index(after: colon)...])
        switch payload[..<colon] {
        case "s": return WorkflowWakeup(workflowID: workflowID, reason: .signal)
        case "c": return WorkflowWakeup(workflowID: workflowID, reason: .claimable)
        default: return nil
        }
    }

    // MARK: - Helpers

    /// Runs `body` on a pooled connection, on the store's executor, and passes its outcome to `completion`.
    func perform<T: Sendable>(
        _ what: String, _ completion: @escaping @Sendable (Result<T, WippyError>) -> Void,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) {
        let client = client, name = name
        guard !lifecycle.withLock({ $0.closed }) else {
            completion(.failure(.unavailable("\(name) is closed: \(what)")))
            return
        }
        Task(executorPreference: executor) {
            do {
                let value = try await client.withConnection { connection in try await body(connection) }
                completion(.success(value))
            } catch {
                completion(.failure(Self.failure(name, what, error)))
            }
        }
    }

    private static func load(_ run: WorkflowRunID, _ connection: PostgresConnection, name: String, logger: Logger) async throws -> WorkflowRun? {
        var binds = PostgresBindings()
        binds.append(run.workflowID)
        binds.append(run.runID)
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT id, entry, entry_kind, registry_version, input, status, result, last_seq, host
                    FROM wippy_workflow_runs WHERE workflow_id = $1 AND run_id = $2
                    """, binds: binds),
            logger: logger)
        var found: (Int64, WorkflowRecord, Int64)?
        for try await (id, entry, kind, version, input, status, result, lastSeq, host) in rows.decode(
            (Int64, String, String, Int64, ByteBuffer, String, ByteBuffer?, Int64, String).self)
        {
            var loaded = try record(run, entry, kind, version, input, status, result, name: name)
            loaded.host = host
            found = (id, loaded, lastSeq)
        }
        guard let (rowID, record, lastSeq) = found else { return nil }
        var journal = JournalVerifier(run: run, lastSeq: UInt64(bitPattern: lastSeq)) { seq, problem in
            WippyError.invalid(
                "\(name) is damaged: the journal of workflow \(run.workflowID) (run \(run.runID)) is damaged at seq \(seq): "
                    + "\(problem); it is not replayed")
        }
        let events = try await connection.query(
            "SELECT seq, kind, key, payload, checksum, time FROM wippy_workflow_journal WHERE run = \(rowID) ORDER BY seq",
            logger: logger)
        for try await (seq, kind, key, payload, checksum, time) in events.decode((Int64, String, String, ByteBuffer, Int64, Int64?).self) {
            try journal.add(
                seq: UInt64(bitPattern: seq), kind: kind, key: key, payload: Array(payload.readableBytesView), checksum: checksum,
                time: time)
        }
        return WorkflowRun(record: record, events: try journal.finish())
    }

    static func record(
        _ run: WorkflowRunID, _ entry: String, _ kind: String, _ version: Int64, _ input: ByteBuffer, _ statusText: String,
        _ result: ByteBuffer?, name: String
    ) throws(WippyError) -> WorkflowRecord {
        guard let status = WorkflowStatus(rawValue: statusText) else {
            throw WippyError.invalid("\(name) is damaged: run \(run): unknown status '\(statusText)'; it is not replayed")
        }
        return WorkflowRecord(
            run: run, entry: EntryID(parsing: entry), entryKind: kind, registryVersion: UInt64(bitPattern: version),
            input: Array(input.readableBytesView), status: status, result: result.map { Array($0.readableBytesView) })
    }

    /// Waits, on the calling thread, for `body` run on `executor`.
    private static func blocking<T: Sendable>(
        _ executor: EventLoopTaskExecutor, _ body: @escaping @Sendable () async throws(WippyError) -> T
    ) -> Result<T, WippyError> {
        let done = DispatchSemaphore(value: 0)
        let outcome = LockedState<Result<T, WippyError>?>(nil)
        Task(executorPreference: executor) {
            let result: Result<T, WippyError>
            do throws(WippyError) { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0 }!
    }

    /// The channel of the store in `schema` (channel names are at most 63 bytes).
    static func channelName(schema: String) -> String {
        let channel = "wippy_workflow." + schema
        guard channel.utf8.count > 63 else { return channel }
        let hash = schema.utf8.reduce(UInt64(14_695_981_039_346_656_037)) { ($0 ^ UInt64($1)) &* 1_099_511_628_211 }
        return "wippy_workflow." + String(hash, radix: 16)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// A database error as a ``WippyError`` naming the store: the server's message and SQLSTATE, or
    /// `Unavailable` for a connection that could not be made or was lost.
    static func failure(_ name: String, _ what: String, _ error: any Error) -> WippyError {
        if let error = error as? WippyError { return error }
        guard let error = error as? PSQLError else { return WippyError("\(name): \(what): \(error)", kind: .internal) }
        if let info = error.serverInfo {
            let message = info[.message] ?? "server error"
            let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            let detail = info[.detail].map { ": \($0)" } ?? ""
            // 57P01-03: the server is shutting down or restarting; 08xxx: connection exceptions.
            let unavailable = info[.sqlState].map { $0.hasPrefix("08") || $0.hasPrefix("57P") } ?? false
            return WippyError("\(name): \(what): \(message)\(detail)\(state)", kind: unavailable ? .unavailable : .internal)
        }
        let underlying = error.underlying.map { ": \($0)" } ?? ""
        return WippyError.unavailable("\(name): \(what): \(error.code)\(underlying)")
    }
}
