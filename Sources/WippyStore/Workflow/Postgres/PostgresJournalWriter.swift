import Logging
import NIOCore
import PostgresNIO
import Synchronization
import WippyCore

/// The one writer of a ``PostgresWorkflowStore``: group commit with no timer, as the SQLite store's.
///
/// Submitters append to a queue under a lock and return. The writer task takes everything queued and
/// commits it in one transaction on one pooled connection, then calls every completion; what arrives
/// meanwhile is the next batch. A batch costs a fixed number of round trips whatever its size: the runs it
/// touches are read and locked with one `SELECT ... FOR UPDATE` (in id order, so two nodes' writers never
/// deadlock), then new runs, run updates, journal events, taken signals and new signals are each one
/// statement over arrays (`unnest`), and wake-up hints one `pg_notify` over an array.
///
/// Each item is checked against the locked rows before anything of it is written: a sequence that does not
/// continue the journal, an unknown or ended run, a stale fence ("lease lost") or a signal that is not
/// pending refuses that item alone. A database error rolls the batch back, and it is written again item
/// by item, so the error reaches only the items it belongs to. The commit runs with
/// `synchronous_commit = on`: its return means the server's write-ahead log is on disk.
final class PostgresJournalWriter: Sendable {
    typealias Outcome = Result<UInt64, WippyError>

    private struct Submission: Sendable {
        var item: WorkflowStoreItem
        var completion: @Sendable (Outcome) -> Void
    }

    private struct Queue {
        var submissions: [Submission] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closing = false
    }

    let name: String
    let channel: String
    private let client: PostgresClient
    private let logger: Logger
    private let startLeaseMilliseconds: Int64
    private let hub: WorkflowWakeupHub
    private let queue = Mutex(Queue())
    let stats = Mutex(WorkflowStoreStats())

    init(name: String, channel: String, client: PostgresClient, startLease: Duration, hub: WorkflowWakeupHub, logger: Logger) {
        self.name = name
        self.channel = channel
        self.client = client
        self.startLeaseMilliseconds = PostgresWorkflowStore.milliseconds(startLease)
        self.hub = hub
        self.logger = logger
    }

    /// Queues an item; the completion is called at once (on this thread) when the writer is closed.
    func submit(_ item: WorkflowStoreItem, completion: @escaping @Sendable (Outcome) -> Void) {
        let accepted = queue.withLock { queue -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !queue.closing else { return (false, nil) }
            queue.submissions.append(Submission(item: item, completion: completion))
            defer { queue.waiter = nil }
            return (true, queue.waiter)
        }
        guard accepted.0 else {
            completion(.failure(.unavailable("\(name) is closed; \(item.what) was not written")))
            return
        }
        accepted.1?.resume()
    }

    /// Stops taking items; the writer commits what is queued, then ``run()`` returns.
    func close() {
        queue.withLock { queue in
            queue.closing = true
            defer { queue.waiter = nil }
            return queue.waiter
        }?.resume()
    }

    /// The writer loop: returns once closed and drained.
    func run() async {
        while let batch = await next() { await commit(batch) }
    }

    private func next() async -> [Submission]? {
        while true {
            let (batch, closing) = queue.withLock { queue in
                defer { queue.submissions = [] }
                return (queue.submissions, queue.closing)
            }
            if !batch.isEmpty { return batch }
            if closing { return nil }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = queue.withLock { queue -> Bool in
                    guard queue.submissions.isEmpty && !queue.closing else { return true }
                    queue.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        }
    }

    private func commit(_ batch: [Submission]) async {
        var outcomes: [Outcome]
        var commits = 0
        do {
            outcomes = try await transaction(batch.map(\.item))
            commits = 1
        } catch {
            logger.debug("workflow journal batch rolled back; writing its items one by one", metadata: ["error": "\(error)"])
            outcomes = []
            for submission in batch {
                do {
                    outcomes.append(try await transaction([submission.item])[0])
                    commits += 1
                } catch {
                    outcomes.append(.failure(PostgresWorkflowStore.failure(name, "cannot write \(submission.item.what)", error)))
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
        stats.withLock { stats in
            stats.commits += commits
            stats.items += batch.count
            stats.failedItems += failed
            stats.events += events
            stats.signals += signals
            stats.largestBatch = max(stats.largestBatch, batch.count)
        }
        for (submission, outcome) in zip(batch, outcomes) { submission.completion(outcome) }
        // This node's own signals wake its subscribers at once; other nodes hear of them through NOTIFY.
        if signals > 0 && hub.hasSubscribers {
            for (submission, outcome) in zip(batch, outcomes) {
                if case .signal(let signal) = submission.item, case .success = outcome {
                    hub.post(WorkflowWakeup(workflowID: signal.workflowID, reason: .signal))
                }
            }
        }
    }

    /// Writes `items` in one transaction and commits it; returns each item's outcome (refused items were
    /// not written). Throws, rolled back, on a database error.
    private func transaction(_ items: [WorkflowStoreItem]) async throws -> [Outcome] {
        try await client.withConnection { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let outcomes = try await write(items, connection)
                try await connection.query("COMMIT", logger: logger)
                return outcomes
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    // MARK: - One batch

    /// A run as the batch sees it: as locked at its start, then as each accepted item leaves it.
    private struct RunState {
        var rowID: Int64?
        var lastSeq: UInt64
        var status: WorkflowStatus
        var owner: String?
        var generation: Int64
        /// The lease had not expired when the batch locked the row (a new owned run: true).
        var live: Bool
        /// Set for a run this batch creates.
        var start: WorkflowRecord?
        var result: [UInt8]?
        var resultChanged = false
        /// The stored wake value, when the batch changes it (`.some(nil)`: cleared).
        var wake: Int64??
        var changed = false
    }

    private func write(_ items: [WorkflowStoreItem], _ connection: PostgresConnection) async throws -> [Outcome] {
        var keys: [WorkflowRunID] = []
        var seen: Set<WorkflowRunID> = []
        var signalled: Set<String> = []
        var takeIDs: Set<UInt64> = []
        for item in items {
            switch item {
            case .write(let write):
                if seen.insert(write.run).inserted { keys.append(write.run) }
                if let successor = write.successor?.record.run, seen.insert(successor).inserted { keys.append(successor) }
                takeIDs.formUnion(write.takeSignals)
            case .signal(let signal):
                signalled.insert(signal.workflowID)
            }
        }
        var (states, runsOf) = try await lockRuns(keys, workflows: signalled, connection)
        var pending = try await lockSignals(takeIDs, connection)

        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(items.count)
        var created: [WorkflowRunID] = []
        var journal: [(run: WorkflowRunID, event: JournalEvent)] = []
        var newSignals: [(index: Int, signal: WorkflowStoreItem.NewSignal)] = []
        var taken: [Int64] = []
        var hints: [String] = []
        for (index, item) in items.enumerated() {
            switch item {
            case .write(let write):
                do throws(WippyError) {
                    var accepted = [(write, try accept(write, states[write.run], pending: pending))]
                    // Continue-as-new: the successor run is created with the write, or the write is refused whole.
                    if let successor = write.successorStart {
                        guard write.status == .continued, write.start == nil, successor.run.workflowID == write.run.workflowID,
                            successor.run != write.run
                        else {
                            throw WippyError.invalid("\(name): run \(write.run) cannot be continued by run \(successor.run)")
                        }
                        accepted.append((successor, try accept(successor, states[successor.run], pending: [:])))
                    }
                    for (write, state) in accepted {
                        if states[write.run] == nil {
                            created.append(write.run)
                            runsOf[write.run.workflowID, default: []].append(write.run)
                            if write.fence == nil { hints.append("c:" + write.run.workflowID) }
                        }
                        states[write.run] = state
                        for event in write.events { journal.append((write.run, event)) }
                        for id in write.takeSignals {
                            pending[id] = nil
                            taken.append(Int64(bitPattern: id))
                        }
                    }
                    outcomes.append(.success(0))
                } catch {
                    outcomes.append(.failure(error))
                }
            case .signal(let signal):
                let runs = runsOf[signal.workflowID] ?? []
                if runs.isEmpty {
                    outcomes.append(.failure(.notFound(
                        "\(name): no workflow \(signal.workflowID); the signal '\(signal.topic)' was not recorded")))
                } else if !runs.contains(where: { states[$0]?.status.isFinal == false }) {
                    outcomes.append(.failure(WippyError(
                        "\(name): workflow \(signal.workflowID) has ended; the signal '\(signal.topic)' was not recorded",
                        kind: .conflict, retryable: false)))
                } else {
                    newSignals.append((index, signal))
                    hints.append("s:" + signal.workflowID)
                    outcomes.append(.success(0))
                }
            }
        }

        var rowIDs: [WorkflowRunID: Int64] = [:]
        for (run, state) in states { if let id = state.rowID { rowIDs[run] = id } }
        // Updates first: a run ended as `continued` must be final before its successor is created (one open
        // run per workflow ID).
        let updated = states.filter { $0.value.changed && $0.value.start == nil }
        if !updated.isEmpty { try await updateRuns(updated, connection) }
        if !created.isEmpty {
            for (run, id) in try await insertRuns(created, states, connection) { rowIDs[run] = id }
        }
        if !journal.isEmpty { try await insertJournal(journal, rowIDs: rowIDs, connection) }
        if !taken.isEmpty {
            var binds = PostgresBindings()
            binds.append(taken)
            try await connection.query(
                PostgresQuery(unsafeSQL: "DELETE FROM wippy_workflow_signals WHERE id = ANY($1::int8[])", binds: binds),
                logger: logger)
        }
        if !newSignals.isEmpty {
            let ids = try await insertSignals(newSignals.map(\.signal), connection)
            for ((index, _), id) in zip(newSignals, ids) { outcomes[index] = .success(id) }
        }
        if !hints.isEmpty {
            var binds = PostgresBindings()
            binds.append(channel)
            binds.append(Array(Set(hints)))
            try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT pg_notify($1, hint)::text FROM unnest($2::text[]) AS hint", binds: binds),
                logger: logger)
        }
        return outcomes
    }

    /// Checks `write` against its run and returns the run as the write leaves it; throws the refusal.
    private func accept(_ write: WorkflowWrite, _ stored: RunState?, pending: [UInt64: String]) throws(WippyError) -> RunState {
        let run = write.run
        var state: RunState
        if let start = write.start {
            guard start.run == run else { throw WippyError.invalid("\(name): a write for \(run) starts the run \(start.run)") }
            guard stored == nil else { throw WippyError.alreadyExists("\(name): run \(run) already exists") }
            if let fence = write.fence {
                guard fence.generation == 1, !fence.owner.isEmpty else {
                    throw WippyError.invalid("\(name): run \(run): a start's fence names a node and generation 1, not \(fence)")
                }
            }
            state = RunState(
                rowID: nil, lastSeq: 0, status: start.status, owner: write.fence?.owner, generation: write.fence == nil ? 0 : 1,
                live: write.fence != nil, start: start, result: start.result)
        } else {
            guard let stored else { throw WippyError.notFound("\(name): no run \(run)") }
            guard !stored.status.isFinal else {
                throw WippyError("\(name): run \(run) is \(stored.status); nothing more is written to it", kind: .conflict, retryable: false)
            }
            try checkFence(write, stored)
            state = stored
        }
        var expected = state.lastSeq + 1
        for event in write.events {
            guard event.seq == expected else {
                let what = event.seq < expected ? "is already in the journal or repeated" : "leaves a gap"
                throw WippyError(
                    "\(name): run \(run): event \(event.seq) (\(event.kind)) \(what); the next event must be \(expected)",
                    kind: .conflict, retryable: false)
            }
            expected += 1
        }
        if !write.takeSignals.isEmpty {
            guard Set(write.takeSignals).count == write.takeSignals.count else {
                throw WippyError("\(name): run \(run): the write takes a signal twice", kind: .conflict, retryable: false)
            }
            for id in write.takeSignals where pending[id] != run.workflowID {
                throw WippyError(
                    "\(name): run \(run): signal \(id) is not pending for workflow \(run.workflowID)"
                        + (pending[id].map { " (it is for workflow \($0))" } ?? " (it was taken already)"),
                    kind: .conflict, retryable: false)
            }
        }
        state.lastSeq = expected - 1
        if let status = write.status { state.status = status }
        if let result = write.result {
            state.result = result
            state.resultChanged = true
        }
        if let wake = write.wake { state.wake = .some(wake.storedValue) }
        if state.status.isFinal {
            state.wake = .some(nil)
            state.live = false
        }
        state.changed = true
        return state
    }

    private func checkFence(_ write: WorkflowWrite, _ state: RunState) throws(WippyError) {
        let run = write.run
        if let fence = write.fence {
            guard state.owner == fence.owner && state.generation == Int64(bitPattern: fence.generation) else {
                let now = state.owner.map { "is now owned by node \($0) generation \(state.generation)" }
                    ?? "is not owned by any node now (generation \(state.generation))"
                throw WippyError(
                    "\(name): lease lost: workflow \(run.workflowID) (run \(run.runID)) \(now); the write of node \(fence) was refused",
                    kind: .conflict, retryable: false)
            }
        } else if let owner = state.owner, state.live {
            throw WippyError(
                "\(name): workflow \(run.workflowID) (run \(run.runID)) is held by node \(owner) generation \(state.generation); "
                    + "a write without its fence is refused",
                kind: .conflict, retryable: false)
        }
    }

    // MARK: - Statements

    /// Reads and locks (in id order) the runs `keys` and every run of the `workflows` being signalled.
    private func lockRuns(
        _ keys: [WorkflowRunID], workflows: Set<String>, _ connection: PostgresConnection
    ) async throws -> ([WorkflowRunID: RunState], [String: [WorkflowRunID]]) {
        var states: [WorkflowRunID: RunState] = [:]
        var runsOf: [String: [WorkflowRunID]] = [:]
        guard !keys.isEmpty || !workflows.isEmpty else { return (states, runsOf) }
        var binds = PostgresBindings()
        binds.append(keys.map(\.workflowID))
        binds.append(keys.map(\.runID))
        binds.append(Array(workflows))
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT id, workflow_id, run_id, last_seq, status, owner, generation, coalesce(lease_until > now(), false)
                    FROM wippy_workflow_runs
                    WHERE id IN (
                        SELECT r.id FROM unnest($1::text[], $2::text[]) AS k(workflow_id, run_id)
                        JOIN wippy_workflow_runs r ON r.workflow_id = k.workflow_id AND r.run_id = k.run_id
                        UNION ALL
                        SELECT id FROM wippy_workflow_runs WHERE workflow_id = ANY($3::text[]))
                    ORDER BY id FOR UPDATE
                    """, binds: binds),
            logger: logger)
        for try await (id, workflowID, runID, lastSeq, statusText, owner, generation, live) in rows.decode(
            (Int64, String, String, Int64, String, String?, Int64, Bool).self)
        {
            let run = WorkflowRunID(workflowID: workflowID, runID: runID)
            guard let status = WorkflowStatus(rawValue: statusText) else {
                throw WippyError.invalid("\(name) is damaged: run \(run) has the unknown status '\(statusText)'; it is not replayed")
            }
            states[run] = RunState(
                rowID: id, lastSeq: UInt64(clamping: lastSeq), status: status, owner: owner, generation: generation, live: live)
            runsOf[workflowID, default: []].append(run)
        }
        return (states, runsOf)
    }

    /// Locks the signals a batch takes; returns the workflow of each that is still pending.
    private func lockSignals(_ ids: Set<UInt64>, _ connection: PostgresConnection) async throws -> [UInt64: String] {
        guard !ids.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(ids.map { Int64(bitPattern: $0) })
        var pending: [UInt64: String] = [:]
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: "SELECT id, workflow_id FROM wippy_workflow_signals WHERE id = ANY($1::int8[]) ORDER BY id FOR UPDATE",
                binds: binds),
            logger: logger)
        for try await (id, workflowID) in rows.decode((Int64, String).self) { pending[UInt64(bitPattern: id)] = workflowID }
        return pending
    }

    private func insertRuns(
        _ runs: [WorkflowRunID], _ states: [WorkflowRunID: RunState], _ connection: PostgresConnection
    ) async throws -> [WorkflowRunID: Int64] {
        var workflowIDs: [String] = [], runIDs: [String] = [], entries: [String] = [], kinds: [String] = []
        var versions: [Int64] = [], inputs: [ByteBuffer] = [], statuses: [String] = [], hasResults: [Bool] = []
        var results: [ByteBuffer] = [], lastSeqs: [Int64] = [], owners: [String] = [], generations: [Int64] = []
        var hasWakes: [Bool] = [], wakes: [Int64] = [], hosts: [String] = []
        for run in runs {
            guard let state = states[run], let start = state.start else { continue }
            hosts.append(start.host)
            workflowIDs.append(run.workflowID)
            runIDs.append(run.runID)
            entries.append(start.entry.description)
            kinds.append(start.entryKind)
            versions.append(Int64(bitPattern: start.registryVersion))
            inputs.append(ByteBuffer(bytes: start.input))
            statuses.append(state.status.rawValue)
            hasResults.append(state.result != nil)
            results.append(ByteBuffer(bytes: state.result ?? []))
            lastSeqs.append(Int64(bitPattern: state.lastSeq))
            owners.append(state.status.isFinal ? "" : state.owner ?? "")
            generations.append(state.generation)
            let wake = state.wake ?? nil
            hasWakes.append(wake != nil)
            wakes.append(wake ?? 0)
        }
        var binds = PostgresBindings()
        binds.append(workflowIDs)
        binds.append(runIDs)
        binds.append(entries)
        binds.append(kinds)
        binds.append(versions)
        binds.append(inputs)
        binds.append(statuses)
        binds.append(hasResults)
        binds.append(results)
        binds.append(lastSeqs)
        binds.append(owners)
        binds.append(generations)
        binds.append(hasWakes)
        binds.append(wakes)
        binds.append(startLeaseMilliseconds)
        binds.append(hosts)
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO wippy_workflow_runs (workflow_id, run_id, entry, entry_kind, registry_version, input, status,
                        result, last_seq, owner, generation, lease_until, wake_at, host)
                    SELECT w, r, e, k, v, i, s, CASE WHEN hr THEN res END, l, nullif(o, ''), g,
                        CASE WHEN o <> '' THEN now() + $15::int8 * interval '1 millisecond' END, CASE WHEN hw THEN wa END, h
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::bytea[], $7::text[],
                        $8::bool[], $9::bytea[], $10::int8[], $11::text[], $12::int8[], $13::bool[], $14::int8[], $16::text[])
                        AS u(w, r, e, k, v, i, s, hr, res, l, o, g, hw, wa, h)
                    ON CONFLICT DO NOTHING
                    RETURNING id, workflow_id, run_id
                    """, binds: binds),
            logger: logger)
        var ids: [WorkflowRunID: Int64] = [:]
        for try await (id, workflowID, runID) in rows.decode((Int64, String, String).self) {
            ids[WorkflowRunID(workflowID: workflowID, runID: runID)] = id
        }
        guard ids.count == workflowIDs.count else {
            // Another node created one of these runs, or another open run of one of these workflow IDs, since
            // the batch looked: the batch is written again item by item, and the start that lost is refused.
            if workflowIDs.count == 1 {
                throw WippyError.alreadyExists("workflow \(workflowIDs[0]) is already running (started meanwhile by another node)")
            }
            throw WippyError("\(name): a run of the batch was created meanwhile by another node", kind: .conflict)
        }
        return ids
    }

    private func updateRuns(_ runs: [WorkflowRunID: RunState], _ connection: PostgresConnection) async throws {
        var ids: [Int64] = [], lastSeqs: [Int64] = [], statuses: [String] = [], hasResults: [Bool] = []
        var results: [ByteBuffer] = [], setsWake: [Bool] = [], wakeNull: [Bool] = [], wakes: [Int64] = []
        for state in runs.values {
            guard let id = state.rowID else { continue }
            ids.append(id)
            lastSeqs.append(Int64(bitPattern: state.lastSeq))
            statuses.append(state.status.rawValue)
            hasResults.append(state.resultChanged)
            results.append(ByteBuffer(bytes: state.resultChanged ? state.result ?? [] : []))
            setsWake.append(state.wake != nil)
            let wake = state.wake ?? nil
            wakeNull.append(wake == nil)
            wakes.append(wake ?? 0)
        }
        var binds = PostgresBindings()
        binds.append(ids)
        binds.append(lastSeqs)
        binds.append(statuses)
        binds.append(hasResults)
        binds.append(results)
        binds.append(setsWake)
        binds.append(wakeNull)
        binds.append(wakes)
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE wippy_workflow_runs AS r SET last_seq = u.l, status = u.s,
                        result = CASE WHEN u.hr THEN u.res ELSE r.result END,
                        wake_at = CASE WHEN NOT u.hw THEN r.wake_at WHEN u.wn THEN NULL ELSE u.wa END,
                        lease_until = CASE WHEN u.s IN \(PostgresWorkflowSchema.nonFinal) THEN r.lease_until END,
                        updated_at = now()
                    FROM unnest($1::int8[], $2::int8[], $3::text[], $4::bool[], $5::bytea[], $6::bool[], $7::bool[], $8::int8[])
                        AS u(id, l, s, hr, res, hw, wn, wa)
                    WHERE r.id = u.id
                    """, binds: binds),
            logger: logger)
    }

    private func insertJournal(
        _ journal: [(run: WorkflowRunID, event: JournalEvent)], rowIDs: [WorkflowRunID: Int64], _ connection: PostgresConnection
    ) async throws {
        var runs: [Int64] = [], seqs: [Int64] = [], kinds: [String] = [], keys: [String] = []
        var payloads: [ByteBuffer] = [], checksums: [Int64] = [], hasTimes: [Bool] = [], times: [Int64] = []
        runs.reserveCapacity(journal.count)
        seqs.reserveCapacity(journal.count)
        kinds.reserveCapacity(journal.count)
        keys.reserveCapacity(journal.count)
        payloads.reserveCapacity(journal.count)
        checksums.reserveCapacity(journal.count)
        hasTimes.reserveCapacity(journal.count)
        times.reserveCapacity(journal.count)
        for (run, event) in journal {
            guard let id = rowIDs[run] else { preconditionFailure("a journal event of a run the batch does not hold") }
            runs.append(id)
            seqs.append(Int64(bitPattern: event.seq))
            kinds.append(event.kind)
            keys.append(event.key)
            payloads.append(ByteBuffer(bytes: event.payload))
            checksums.append(JournalChecksum.of(run, seq: event.seq, kind: event.kind, key: event.key, payload: event.payload))
            hasTimes.append(event.time != nil)
            times.append(event.time ?? 0)
        }
        var binds = PostgresBindings()
        binds.append(runs)
        binds.append(seqs)
        binds.append(kinds)
        binds.append(keys)
        binds.append(payloads)
        binds.append(checksums)
        binds.append(hasTimes)
        binds.append(times)
        // An event's time is the one the engine chose, or the database's clock at the commit.
        try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO wippy_workflow_journal (run, seq, kind, key, payload, checksum, time)
                    SELECT r, s, k, ke, p, c, CASE WHEN ht THEN t ELSE floor(extract(epoch FROM now()) * 1000)::int8 END
                    FROM unnest($1::int8[], $2::int8[], $3::text[], $4::text[], $5::bytea[], $6::int8[], $7::bool[], $8::int8[])
                        AS u(r, s, k, ke, p, c, ht, t)
                    """, binds: binds),
            logger: logger)
    }

    /// Inserts `signals` in order; returns their ids in the same order.
    private func insertSignals(_ signals: [WorkflowStoreItem.NewSignal], _ connection: PostgresConnection) async throws -> [UInt64] {
        var binds = PostgresBindings()
        binds.append(signals.map(\.workflowID))
        binds.append(signals.map(\.topic))
        binds.append(signals.map(\.sender))
        binds.append(signals.map { ByteBuffer(bytes: $0.payload) })
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO wippy_workflow_signals (workflow_id, topic, sender, payload)
                    SELECT w, t, s, p FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS u(w, t, s, p, n)
                    ORDER BY n
                    RETURNING id
                    """, binds: binds),
            logger: logger)
        var ids: [UInt64] = []
        for try await id in rows.decode(Int64.self) { ids.append(UInt64(bitPattern: id)) }
        guard ids.count == signals.count else {
            throw WippyError.internal("\(name): \(ids.count) signal ids for \(signals.count) signals")
        }
        // The ids come from one sequence, drawn in the rows' order: sorted, they are the signals' in order.
        return ids.sorted()
    }
}
