import Foundation
import Synchronization
import Testing
import WippyCore
import WippyTestSupport
@testable import WippyStore

/// Several nodes share one PostgreSQL store: runs are claimed with `FOR UPDATE SKIP LOCKED`, held through
/// leases timed by the server, taken over with a higher generation once a lease expires, and a node that
/// lost its lease cannot write (issue 8, item 6). Each store instance stands for a node.
@Suite(.timeLimit(.minutes(2))) struct PostgresLeaseTests {
    /// Two nodes on one fresh schema.
    static func twoNodes(startLease: Duration = .seconds(30)) async throws -> (PostgresWorkflowStore, PostgresWorkflowStore, PostgresConnectionSettings) {
        let settings = try await PostgresTestServer.freshSchema()
        return (
            try PostgresWorkflowStore(settings: settings, startLease: startLease),
            try PostgresWorkflowStore(settings: settings, startLease: startLease), settings
        )
    }

    /// Claims until `run` is claimed (its lease expiring is the event waited for), within `timeout`.
    static func claimWhenFree(
        _ store: PostgresWorkflowStore, node: String, _ run: WorkflowRunID, timeout: Duration = .seconds(30)
    ) async throws -> WorkflowClaim {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let claim = try await store.claim(node: node, limit: 100, lease: .seconds(30)).first(where: { $0.record.run == run }) {
                return claim
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw DeadlineExceeded(what: "node \(node) to claim \(run)")
    }

    /// Two nodes start the same chosen workflow ID at once, each with its own run ID: one run is created,
    /// the other start is refused as `AlreadyExists` (the engine then joins the run). A run that ends lets a
    /// new run of the ID start.
    @Test func twoNodesStartingOneWorkflowIDCreateOneRun() async throws {
        let (a, b, settings) = try await Self.twoNodes()
        defer {
            a.close()
            b.close()
        }
        for round in 0..<20 {
            let id = "chosen-\(round)"
            let tally = CompletionTally(count: 2)
            a.submit(.start(workflowRecord(id, run: "from-a")), completion: tally.completion(0))
            b.submit(.start(workflowRecord(id, run: "from-b")), completion: tally.completion(1))
            try await tally.waitAll()
            #expect(tally.succeeded(0) != tally.succeeded(1), "round \(round): \(String(describing: tally.error(0))) \(String(describing: tally.error(1)))")
            let refused = tally.error(tally.succeeded(0) ? 1 : 0)
            #expect(refused?.kind == .alreadyExists, "round \(round): \(String(describing: refused))")
            let open = try await PostgresTestServer.fetch(
                settings, "SELECT count(*)::text FROM wippy_workflow_runs WHERE workflow_id = '\(id)'")
            #expect(open == "1")
        }
        // Once the run has ended, the ID starts again.
        let winner = try await PostgresTestServer.fetch(settings, "SELECT run_id FROM wippy_workflow_runs WHERE workflow_id = 'chosen-0'")
        let ended = CompletionTally(count: 1)
        a.submit(WorkflowWrite(run: WorkflowRunID(workflowID: "chosen-0", runID: winner ?? ""), status: .completed, result: []),
                 completion: ended.completion(0))
        try await ended.waitAll()
        #expect(ended.succeeded(0), "\(String(describing: ended.error(0)))")
        let again = CompletionTally(count: 1)
        b.submit(.start(workflowRecord("chosen-0", run: "second")), completion: again.completion(0))
        try await again.waitAll()
        #expect(again.succeeded(0), "\(String(describing: again.error(0)))")
    }

    @Test func concurrentClaimsNeverGiveARunToTwoNodes() async throws {
        let (a, b, _) = try await Self.twoNodes()
        defer {
            a.close()
            b.close()
        }
        let count = 600
        // Started without an owner: every run is claimable.
        let tally = CompletionTally(count: count)
        for index in 0..<count { a.submit(.start(workflowRecord("free-\(index)")), completion: tally.completion(index)) }
        try await tally.waitAll()
        #expect((0..<count).allSatisfy { tally.succeeded($0) })

        // Both nodes claim in small batches, at the same time, until nothing is left.
        @Sendable func drain(_ store: PostgresWorkflowStore, _ node: String) async throws -> [WorkflowClaim] {
            var claims: [WorkflowClaim] = []
            while true {
                let batch = try await store.claim(node: node, limit: 5, lease: .seconds(60))
                if batch.isEmpty { return claims }
                claims += batch
            }
        }
        async let fromA = drain(a, "node-a")
        async let fromB = drain(b, "node-b")
        let (claimsA, claimsB) = try await (fromA, fromB)
        let runsA = Set(claimsA.map(\.record.run))
        let runsB = Set(claimsB.map(\.record.run))
        #expect(runsA.count == claimsA.count && runsB.count == claimsB.count, "a node got a run twice")
        #expect(runsA.isDisjoint(with: runsB), "runs given to both nodes: \(runsA.intersection(runsB))")
        #expect(runsA.union(runsB).count == count)
        #expect(claimsA.allSatisfy { $0.fence == WorkflowFence(owner: "node-a", generation: 1) })
        #expect(claimsB.allSatisfy { $0.fence == WorkflowFence(owner: "node-b", generation: 1) })
        #expect(!claimsA.isEmpty && !claimsB.isEmpty, "both nodes claimed (A \(claimsA.count), B \(claimsB.count))")
        // Held runs are not claimed again.
        #expect(try await a.claim(node: "node-c", limit: 1000, lease: .seconds(1)).isEmpty)
    }

    @Test func anExpiredLeaseIsTakenOverAndTheStaleNodeCannotWrite() async throws {
        // Long enough that a loaded machine still makes the first checks within it.
        let (a, b, _) = try await Self.twoNodes(startLease: .seconds(6))
        defer {
            a.close()
            b.close()
        }
        let record = workflowRecord("saga")
        let run = record.run
        let fenceA = WorkflowFence(owner: "node-a", generation: 1)
        try await a.write(.start(record, events: journalEvents(1, 2), owner: "node-a"))
        // A holds it: B gets nothing while the lease lasts, and a write without a fence is refused.
        #expect(try await b.claim(node: "node-b", limit: 10, lease: .seconds(30)).isEmpty)
        do {
            try await b.write(WorkflowWrite(run: run, events: journalEvents(3, 3)))
            Issue.record("a write without a fence was accepted on a held run")
        } catch {
            #expect(error.message.contains("is held by node node-a generation 1; a write without its fence is refused"), "\(error.message)")
        }
        try await a.write(WorkflowWrite(run: run, events: journalEvents(3, 3), fence: fenceA))

        // A stops renewing; once its lease has expired (by the server's clock) B takes the run over.
        let claim = try await Self.claimWhenFree(b, node: "node-b", run)
        #expect(claim.fence == WorkflowFence(owner: "node-b", generation: 2))
        #expect(claim.lastSeq == 3)
        #expect(claim.record == record)

        // A's next write carries generation 1: refused, and nothing of it is stored, even beside a good item.
        let other = workflowRecord("bystander")
        try await a.write(.start(other, owner: "node-a"))
        let (tally, _) = try await submitAsOneBatch(a, [
            WorkflowWrite(run: run, events: journalEvents(4, 5), status: .completed, result: [1], fence: fenceA),
            WorkflowWrite(run: other.run, events: journalEvents(1, 1), fence: fenceA),
        ])
        let refusal = try #require(tally.error(0))
        #expect(refusal.kind == .conflict)
        #expect(
            refusal.message.contains("lease lost: workflow saga (run r1) is now owned by node node-b generation 2"), "\(refusal.message)")
        #expect(tally.succeeded(1), "\(tally.error(1)?.message ?? "")")
        let stored = try #require(try await b.load(run))
        #expect(stored.events == journalEvents(1, 3))
        #expect(stored.record.status == .running)
        // A learns it lost the run when it renews; B's renewal keeps it.
        #expect(try await a.renew(node: "node-a", [run: fenceA, other.run: fenceA], lease: .seconds(30)) == [run])
        #expect(try await b.renew(node: "node-b", [run: claim.fence], lease: .seconds(30)) == [])
        // B, the owner now, continues the journal.
        try await b.write(WorkflowWrite(run: run, events: journalEvents(4, 4), fence: claim.fence))
        #expect(try await a.load(run)?.events == journalEvents(1, 4))
    }

    @Test func aReleasedRunIsClaimableAtOnceWhenReady() async throws {
        let (a, b, _) = try await Self.twoNodes()
        defer {
            a.close()
            b.close()
        }
        let parked = workflowRecord("parked")
        let sleeper = workflowRecord("sleeper")
        let due = workflowRecord("due")
        let fence = WorkflowFence(owner: "node-a", generation: 1)
        for record in [parked, sleeper, due] { try await a.write(.start(record, owner: "node-a")) }
        let far = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
        try await a.write(WorkflowWrite(run: parked.run, wake: .onSignal, fence: fence))
        try await a.write(WorkflowWrite(run: sleeper.run, wake: .at(milliseconds: far), fence: fence))
        try await a.write(WorkflowWrite(run: due.run, wake: .at(milliseconds: 1_000), fence: fence))
        let wakeups = b.wakeups()
        await b.listening()
        let runs = [parked.run: fence, sleeper.run: fence, due.run: fence]
        #expect(try await a.release(node: "node-a", runs) == [])
        // Released: B hears of it, and claims only what is ready (the due timer), not the parked runs.
        var iterator = wakeups.makeAsyncIterator()
        var heard: Set<String> = []
        while heard.count < 3, let wakeup = await iterator.next() {
            if wakeup.reason == .claimable { heard.insert(wakeup.workflowID) }
        }
        #expect(heard == ["parked", "sleeper", "due"])
        let claimed = try await b.claim(node: "node-b", limit: 10, lease: .seconds(30))
        #expect(claimed.map(\.record.run) == [due.run])
        #expect(claimed.first?.fence.generation == 2)
        #expect(claimed.first?.wake == .at(milliseconds: 1_000))
        // A timer due within the horizon is ready too.
        let soon = try await b.claim(node: "node-b", limit: 10, lease: .seconds(30), readyWithin: .seconds(7200))
        #expect(soon.map(\.record.run) == [sleeper.run])
        // A released run takes writes without a fence (no node holds it); A's old fence is refused.
        try await a.write(WorkflowWrite(run: parked.run, events: journalEvents(1, 1)))
        do {
            try await a.write(WorkflowWrite(run: parked.run, events: journalEvents(2, 2), fence: fence))
            Issue.record("a released node wrote with its old fence")
        } catch {
            #expect(error.message.contains("lease lost: workflow parked (run r1) is not owned by any node now (generation 1)"), "\(error.message)")
        }
    }

    @Test func signalsRecordedWhileNoNodeOwnsTheRunAreTakenAfterAClaimExactlyOnce() async throws {
        let (a, b, settings) = try await Self.twoNodes(startLease: .milliseconds(300))
        let sender = try PostgresWorkflowStore(settings: settings)
        defer {
            a.close()
            b.close()
            sender.close()
        }
        let record = workflowRecord("approval")
        let fenceA = WorkflowFence(owner: "node-a", generation: 1)
        try await a.write(.start(record, events: journalEvents(1, 1), owner: "node-a"))
        // A parks the run on the signal and dies (stops renewing).
        try await a.write(WorkflowWrite(run: record.run, events: journalEvents(2, 2, kind: "wait"), wake: .onSignal, fence: fenceA))
        let listening = b.wakeups()
        await b.listening()
        // Signals arrive from a third node while A's lease runs out and nobody else holds the run.
        var ids: [UInt64] = []
        for index in 1...3 {
            ids.append(try await sender.signal(workflowID: "approval", topic: "approve", sender: "{app@n3|ui}", payload: [UInt8(index)]))
        }
        var iterator = listening.makeAsyncIterator()
        #expect(await iterator.next() == WorkflowWakeup(workflowID: "approval", reason: .signal))

        // Parked on signals only, the run is ready because signals are pending: B claims it.
        let claim = try await Self.claimWhenFree(b, node: "node-b", record.run)
        #expect(claim.fence.generation == 2)
        #expect(claim.wake == .onSignal)
        let pending = try await b.pendingSignals(workflowID: "approval")
        #expect(pending.map(\.id) == ids)
        #expect(pending.map(\.payload) == [[1], [2], [3]])

        // B and the stale A both try to deliver them, at once: exactly one succeeds.
        let deliveries = journalEvents(3, 5, kind: "signal")
        let (tally, _) = try await submitAsOneBatch(b, [
            WorkflowWrite(run: record.run, events: deliveries, fence: fenceA, takeSignals: ids),
            WorkflowWrite(run: record.run, events: deliveries, wake: .now, fence: claim.fence, takeSignals: ids),
            WorkflowWrite(run: record.run, events: journalEvents(6, 6, kind: "signal"), fence: claim.fence, takeSignals: [ids[0]]),
        ])
        #expect(tally.error(0)?.message.contains("lease lost") == true, "\(tally.error(0)?.message ?? "")")
        #expect(tally.succeeded(1), "\(tally.error(1)?.message ?? "")")
        #expect(tally.error(2)?.message.contains("signal \(ids[0]) is not pending") == true, "\(tally.error(2)?.message ?? "")")
        #expect(try await b.pendingSignals(workflowID: "approval").isEmpty)
        let stored = try #require(try await sender.load(record.run))
        #expect(stored.events == journalEvents(1, 1) + journalEvents(2, 2, kind: "wait") + deliveries)
    }
}
