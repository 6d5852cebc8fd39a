import Logging
import PostgresNIO
public import WippyCore

/// A node's hold on runs of the shared store (``WorkflowLeaseStore``): claims with `FOR UPDATE SKIP LOCKED`,
/// renewals and releases, timed by the server's clock.
extension PostgresWorkflowStore {

    public func claim(
        node: String, host: String?, limit: Int, lease: Duration, readyWithin: Duration,
        completion: @escaping @Sendable (Result<[WorkflowClaim], WippyError>) -> Void
    ) {
        let name = name, logger = logger
        perform("node \(node) cannot claim runs", completion) { connection in
            guard !node.isEmpty else { throw WippyError.invalid("\(name): a claim names its node") }
            var binds = PostgresBindings()
            binds.append(node)
            binds.append(Int64(clamping: limit))
            binds.append(Self.milliseconds(lease))
            binds.append(Self.milliseconds(readyWithin))
            binds.append(host)
            // Only running runs are claimed: a blocked or paused run waits for an operator, not for a node.
            let free = "(r.owner IS NULL OR r.lease_until IS NULL OR r.lease_until < now()) AND ($5::text IS NULL OR r.host = $5::text)"
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        WITH ready AS (
                            SELECT r.id FROM wippy_workflow_runs r
                            WHERE r.status = 'running' AND \(free)
                                AND (r.wake_at IS NULL OR r.wake_at <= (extract(epoch FROM now()) * 1000)::int8 + $4::int8)
                            UNION
                            SELECT r.id FROM wippy_workflow_signals s JOIN wippy_workflow_runs r ON r.workflow_id = s.workflow_id
                            WHERE r.status = 'running' AND \(free)
                        ), picked AS (
                            SELECT r.id FROM wippy_workflow_runs r
                            WHERE r.id IN (SELECT id FROM ready) AND r.status = 'running' AND \(free)
                            ORDER BY r.id LIMIT $2::int8
                            FOR UPDATE SKIP LOCKED
                        )
                        UPDATE wippy_workflow_runs r
                        SET owner = $1, generation = r.generation + 1, lease_until = now() + $3::int8 * interval '1 millisecond'
                        FROM picked WHERE r.id = picked.id
                        RETURNING r.workflow_id, r.run_id, r.entry, r.entry_kind, r.registry_version, r.input, r.status, r.result,
                            r.last_seq, r.generation, r.wake_at, r.host
                        """, binds: binds),
                logger: logger)
            var claims: [WorkflowClaim] = []
            for try await (workflowID, runID, entry, kind, version, input, status, result, lastSeq, generation, wake, host) in rows.decode(
                (String, String, String, String, Int64, ByteBuffer, String, ByteBuffer?, Int64, Int64, Int64?, String).self)
            {
                let run = WorkflowRunID(workflowID: workflowID, runID: runID)
                var record = try Self.record(run, entry, kind, version, input, status, result, name: name)
                record.host = host
                claims.append(
                    WorkflowClaim(
                        record: record,
                        fence: WorkflowFence(owner: node, generation: UInt64(bitPattern: generation)),
                        lastSeq: UInt64(bitPattern: lastSeq), wake: WorkflowWake(storedValue: wake)))
            }
            return claims
        }
    }

    public func renew(
        node: String, _ runs: [WorkflowRunID: WorkflowFence], lease: Duration,
        completion: @escaping @Sendable (Result<[WorkflowRunID], WippyError>) -> Void
    ) {
        let logger = logger
        perform("node \(node) cannot renew its leases", completion) { connection in
            let held = try await Self.leaseUpdate(
                node: node, runs, set: "lease_until = now() + $5::int8 * interval '1 millisecond'", extra: Self.milliseconds(lease),
                notify: nil, connection, logger: logger)
            return runs.keys.filter { !held.contains($0) }.sorted { $0.description < $1.description }
        }
    }

    public func release(
        node: String, _ runs: [WorkflowRunID: WorkflowFence],
        completion: @escaping @Sendable (Result<[WorkflowRunID], WippyError>) -> Void
    ) {
        let logger = logger, channel = channel
        perform("node \(node) cannot release runs", completion) { connection in
            let held = try await Self.leaseUpdate(
                node: node, runs, set: "owner = NULL, lease_until = NULL", extra: nil, notify: channel, connection, logger: logger)
            return runs.keys.filter { !held.contains($0) }.sorted { $0.description < $1.description }
        }
    }

    /// Updates the lease columns of the runs `node` holds with the given fences; returns those it held.
    private static func leaseUpdate(
        node: String, _ runs: [WorkflowRunID: WorkflowFence], set: String, extra: Int64?, notify channel: String?,
        _ connection: PostgresConnection, logger: Logger
    ) async throws -> Set<WorkflowRunID> {
        let fenced = runs.filter { $0.value.owner == node }.sorted { $0.key.description < $1.key.description }
        guard !fenced.isEmpty else { return [] }
        var binds = PostgresBindings()
        binds.append(node)
        binds.append(fenced.map(\.key.workflowID))
        binds.append(fenced.map(\.key.runID))
        binds.append(fenced.map { Int64(bitPattern: $0.value.generation) })
        if let extra { binds.append(extra) }
        var returning = "r.workflow_id, r.run_id"
        if let channel {
            binds.append(channel)
            returning += ", pg_notify($\(binds.count)::text, 'c:' || r.workflow_id)::text"
        }
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE wippy_workflow_runs r SET \(set)
                    FROM unnest($2::text[], $3::text[], $4::int8[]) AS u(w, run, g)
                    WHERE r.workflow_id = u.w AND r.run_id = u.run AND r.owner = $1 AND r.generation = u.g
                        AND r.status IN \(PostgresWorkflowSchema.nonFinal)
                    RETURNING \(returning)
                    """, binds: binds),
            logger: logger)
        var held: Set<WorkflowRunID> = []
        for try await row in rows {
            let (workflowID, runID) = try row.decode((String, String).self, context: .default)
            held.insert(WorkflowRunID(workflowID: workflowID, runID: runID))
        }
        return held
    }
}
