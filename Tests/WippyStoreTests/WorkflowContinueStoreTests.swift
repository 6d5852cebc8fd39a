import Foundation
import Testing
import WippyCore
@testable import WippyStore

/// Continue-as-new in the stores: one write ends a run as `continued` and creates its successor, a new run of
/// the same workflow id, in the same transaction; a refused successor refuses the whole write, so a store
/// never holds a continued run without its successor (issue 8, item 2: `process.upgrade`).
@Suite(.timeLimit(.minutes(2))) struct WorkflowContinueStoreTests {
    static func successor(_ id: String, run: String, events: [JournalEvent] = journalEvents(1, 2, kind: "start")) -> WorkflowSuccessor {
        WorkflowSuccessor(record: workflowRecord(id, run: run, input: Array("next".utf8)), events: events)
    }

    @Test(arguments: StoreKind.allCases)
    func aContinueEndsTheRunAndCreatesItsSuccessorInOneCommit(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let first = workflowRecord("loop-1")
        let next = Self.successor("loop-1", run: "r2")
        do {
            let store = try fixture.open()
            try await store.write(.start(first, events: journalEvents(1, 3), owner: kind == .postgres ? "node-a" : nil))
            let signal = try await store.signal(workflowID: "loop-1", topic: "note", sender: "s", payload: Array("kept".utf8))
            var write = WorkflowWrite(
                run: first.run, events: journalEvents(4, 4), status: .continued, result: Array("r2".utf8),
                fence: kind == .postgres ? WorkflowFence(owner: "node-a", generation: 1) : nil)
            write.successor = next
            let commitsBefore = store.stats.commits
            try await store.write(write)
            #expect(store.stats.commits == commitsBefore + 1)
            #expect(signal > 0)
            store.close()
        }
        let store = try fixture.open()
        defer { store.close() }
        let ended = try #require(try await store.load(first.run))
        #expect(ended.record.status == .continued)
        #expect(ended.record.result == Array("r2".utf8))
        #expect(ended.events == journalEvents(1, 4))
        let started = try #require(try await store.load(next.record.run))
        #expect(started.record.status == .running)
        #expect(started.record.input == Array("next".utf8))
        #expect(started.events == next.events)
        // The successor is the workflow's running run: ready for a node, and the signal row is still its.
        #expect(try await store.readyRuns(workflowIDs: ["loop-1"]).map(\.run) == [next.record.run])
        #expect(try await store.pendingSignals(workflowID: "loop-1").map(\.topic) == ["note"])
        // A continued run is final: nothing more is written to it.
        do {
            try await store.write(WorkflowWrite(run: first.run, events: journalEvents(5, 5)))
            Issue.record("a continued run took more events")
        } catch {
            #expect(error.kind == .conflict)
        }
        if let leases = store as? any WorkflowLeaseStore {
            // The successor is held by the node that continued its predecessor, from its first commit.
            #expect(try await leases.claim(node: "node-b", limit: 10, lease: .seconds(30)).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aRefusedSuccessorRefusesTheWholeWrite(_ kind: StoreKind) async throws {
        let store = try await StoreFixture(kind).open()
        defer { store.close() }
        // The successor's run id is taken already, by an earlier run of the same workflow (ended: a store
        // on PostgreSQL holds one open run per workflow ID).
        let taken = workflowRecord("loop-2", run: "r9")
        try await store.write(.start(taken))
        try await store.write(WorkflowWrite(run: taken.run, status: .completed))
        let first = workflowRecord("loop-2")
        try await store.write(.start(first, events: journalEvents(1, 1)))
        var write = WorkflowWrite(run: first.run, events: journalEvents(2, 2), status: .continued, result: [1])
        write.successor = Self.successor("loop-2", run: "r9")
        do {
            try await store.write(write)
            Issue.record("a continue whose successor exists was written")
        } catch {
            #expect(error.kind == .alreadyExists, "\(error.message)")
        }
        // A successor of another workflow, or a write that does not end the run as continued, is refused too.
        var other = WorkflowWrite(run: first.run, events: journalEvents(2, 2), status: .continued, result: [1])
        other.successor = Self.successor("another", run: "r3")
        var notEnding = WorkflowWrite(run: first.run, events: journalEvents(2, 2), status: .completed, result: [1])
        notEnding.successor = Self.successor("loop-2", run: "r4")
        for refused in [other, notEnding] {
            do {
                try await store.write(refused)
                Issue.record("an invalid continue was written")
            } catch {
                #expect(error.kind == .invalid, "\(error.message)")
            }
        }
        // Nothing of them was stored: the run is as it was, and no successor exists.
        let loaded = try #require(try await store.load(first.run))
        #expect(loaded.record.status == .running)
        #expect(loaded.events == journalEvents(1, 1))
        for run in ["r3", "r4"] {
            #expect(try await store.load(WorkflowRunID(workflowID: run == "r3" ? "another" : "loop-2", runID: run)) == nil)
        }
    }
}
