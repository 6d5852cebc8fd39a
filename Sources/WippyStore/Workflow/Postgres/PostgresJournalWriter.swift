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
    private let statements: PostgresJournalStatements
    private let hub: WorkflowWakeupHub
    private let queue = Mutex(Queue())
    let stats = Mutex(WorkflowStoreStats())

    init(name: String, channel: String, client: PostgresClient, startLease: Duration, hub: WorkflowWakeupHub, logger: Logger) {
        self.name = name
        self.channel = channel
        self.client = client
        self.statements = PostgresJournalStatements(
            name: name, logger: logger, startLeaseMilliseconds: PostgresWorkflowStore.milliseconds(startLease))
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
    struct RunState {
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
        var (states, runsOf) = try await statements.lockRuns(keys, workflows: signalled, connection)
        var pending = try await statements.lockSignals(takeIDs, connection)

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
        if !updated.isEmpty { try await statements.updateRuns(updated, connection) }
        if !created.isEmpty {
            for (run, id) in try await statements.insertRuns(created, states, connection) { rowIDs[run] = id }
        }
        if !journal.isEmpty { try await statements.insertJournal(journal, rowIDs: rowIDs, connection) }
        if !taken.isEmpty {
            var binds = PostgresBindings()
            binds.append(taken)
            try await connection.query(
                PostgresQuery(unsafeSQL: "DELETE FROM wippy_workflow_signals WHERE id = ANY($1::int8[])", binds: binds),
                logger: logger)
        }
        if !newSignals.isEmpty {
            let ids = try await statements.insertSignals(newSignals.map(\.signal), connection)
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
}
