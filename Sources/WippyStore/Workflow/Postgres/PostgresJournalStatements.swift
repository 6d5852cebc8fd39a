import Logging
import NIOCore
import PostgresNIO
import WippyCore

/// The statements of a ``PostgresJournalWriter`` batch, each one round trip over arrays (`unnest`) on the
/// batch's connection, inside its transaction: lock the runs and signals the batch touches (in id order),
/// insert new runs, update changed ones, append journal events, record new signals.
struct PostgresJournalStatements {
    /// How errors name the store.
    let name: String
    let logger: Logger
    /// How long a run created with an owner is leased to it.
    let startLeaseMilliseconds: Int64

    /// Reads and locks (in id order) the runs `keys` and every run of the `workflows` being signalled.
    func lockRuns(
        _ keys: [WorkflowRunID], workflows: Set<String>, _ connection: PostgresConnection
    ) async throws -> ([WorkflowRunID: PostgresJournalWriter.RunState], [String: [WorkflowRunID]]) {
        var states: [WorkflowRunID: PostgresJournalWriter.RunState] = [:]
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
            states[run] = PostgresJournalWriter.RunState(
                rowID: id, lastSeq: UInt64(clamping: lastSeq), status: status, owner: owner, generation: generation, live: live)
            runsOf[workflowID, default: []].append(run)
        }
        return (states, runsOf)
    }

    /// Locks the signals a batch takes; returns the workflow of each that is still pending.
    func lockSignals(_ ids: Set<UInt64>, _ connection: PostgresConnection) async throws -> [UInt64: String] {
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

    func insertRuns(
        _ runs: [WorkflowRunID], _ states: [WorkflowRunID: PostgresJournalWriter.RunState], _ connection: PostgresConnection
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

    func updateRuns(_ runs: [WorkflowRunID: PostgresJournalWriter.RunState], _ connection: PostgresConnection) async throws {
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

    func insertJournal(
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
    func insertSignals(_ signals: [WorkflowStoreItem.NewSignal], _ connection: PostgresConnection) async throws -> [UInt64] {
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
