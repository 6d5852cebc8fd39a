import Foundation
import Testing
import WippyCore
@testable import WippyStore

/// Signals and timers are rows, on SQLite and on PostgreSQL: a signal is durable once acknowledged, taken
/// exactly once by the write that journals its delivery, and a run's wake time says when it is due (issue 8,
/// item 6).
@Suite(.timeLimit(.minutes(2))) struct WorkflowSignalStoreTests {
    @Test(arguments: StoreKind.allCases)
    func signalsAreKeptInOrderAndTakenExactlyOnceWithTheirDelivery(_ kind: StoreKind) async throws {
        let fixture = try await StoreFixture(kind)
        let record = workflowRecord("order-7")
        var ids: [UInt64] = []
        do {
            let store = try fixture.open()
            try await store.write(.start(record, events: journalEvents(1, 1)))
            for (topic, body) in [("approve", "yes"), ("note", "first"), ("note", "second")] {
                ids.append(try await store.signal(workflowID: "order-7", topic: topic, sender: "{app@host|sender}", payload: Array(body.utf8)))
            }
            #expect(ids == ids.sorted() && Set(ids).count == 3, "\(ids)")
            store.close()
        }
        // Acknowledged means durable: a new store on the same data sees them.
        let store = try fixture.open()
        defer { store.close() }
        let pending = try await store.pendingSignals(workflowID: "order-7")
        #expect(pending.map(\.id) == ids)
        #expect(pending.map(\.topic) == ["approve", "note", "note"])
        #expect(pending.map { String(decoding: $0.payload, as: UTF8.self) } == ["yes", "first", "second"])
        #expect(pending.allSatisfy { $0.sender == "{app@host|sender}" && $0.workflowID == "order-7" })
        #expect(try await store.pendingSignals(workflowID: "order-7", limit: 1).map(\.id) == [ids[0]])

        // The delivery of the first two is journaled and takes them, in one commit.
        try await store.write(WorkflowWrite(run: record.run, events: journalEvents(2, 3, kind: "signal"), takeSignals: [ids[0], ids[1]]))
        #expect(try await store.pendingSignals(workflowID: "order-7").map(\.id) == [ids[2]])

        // Taking one again is refused, and nothing of that write is stored.
        do {
            try await store.write(WorkflowWrite(run: record.run, events: journalEvents(4, 4, kind: "signal"), takeSignals: [ids[1]]))
            Issue.record("a signal was taken twice")
        } catch {
            #expect(error.kind == .conflict)
            #expect(error.message.contains("signal \(ids[1]) is not pending for workflow order-7 (it was taken already)"), "\(error.message)")
        }
        #expect(try await store.load(record.run)?.events == journalEvents(1, 1) + journalEvents(2, 3, kind: "signal"))
        #expect(try await store.pendingSignals(workflowID: "order-7").map(\.id) == [ids[2]])

        // Another workflow cannot take it.
        let other = workflowRecord("order-8")
        try await store.write(.start(other))
        do {
            try await store.write(WorkflowWrite(run: other.run, events: journalEvents(1, 1), takeSignals: [ids[2]]))
            Issue.record("another workflow took the signal")
        } catch {
            #expect(error.message.contains("(it is for workflow order-7)"), "\(error.message)")
        }
        #expect(try await store.load(other.run)?.events == [])
    }

    @Test(arguments: StoreKind.allCases)
    func signalsForUnknownOrEndedWorkflowsAreRefused(_ kind: StoreKind) async throws {
        let store = try await StoreFixture(kind).open()
        defer { store.close() }
        do {
            _ = try await store.signal(workflowID: "nobody", topic: "t", sender: "s", payload: [])
            Issue.record("a signal for an unknown workflow was recorded")
        } catch {
            #expect(error.kind == .notFound)
            #expect(error.message.contains("no workflow nobody"), "\(error.message)")
        }
        let record = workflowRecord("done")
        try await store.write(.start(record))
        try await store.write(WorkflowWrite(run: record.run, status: .completed))
        do {
            _ = try await store.signal(workflowID: "done", topic: "t", sender: "s", payload: [])
            Issue.record("a signal for an ended workflow was recorded")
        } catch {
            #expect(error.kind == .conflict)
            #expect(error.message.contains("workflow done has ended"), "\(error.message)")
        }
        // A continue-as-new run of the same workflow takes the signals once it is recorded.
        try await store.write(.start(workflowRecord("done", run: "r2")))
        _ = try await store.signal(workflowID: "done", topic: "t", sender: "s", payload: [1])
        #expect(try await store.pendingSignals(workflowID: "done").count == 1)
    }

    @Test(arguments: StoreKind.allCases)
    func aSignalWakesTheSubscribersOfItsStore(_ kind: StoreKind) async throws {
        let store = try await StoreFixture(kind).open()
        defer { store.close() }
        try await store.write(.start(workflowRecord("sleeper")))
        let wakeups = store.wakeups()
        _ = try await store.signal(workflowID: "sleeper", topic: "ping", sender: "s", payload: [])
        var iterator = wakeups.makeAsyncIterator()
        #expect(await iterator.next() == WorkflowWakeup(workflowID: "sleeper", reason: .signal))
    }

    @Test(arguments: StoreKind.allCases)
    func aRunsWakeTimeSaysWhenItIsDue(_ kind: StoreKind) async throws {
        let store = try await StoreFixture(kind).open()
        defer { store.close() }
        let base: Int64 = 1_900_000_000_000
        try await store.write(.start(workflowRecord("timer-a")))
        try await store.write(.start(workflowRecord("timer-b")))
        try await store.write(.start(workflowRecord("signal-only")))
        try await store.write(.start(workflowRecord("busy")))
        try await store.write(WorkflowWrite(run: workflowRecord("timer-a").run, events: journalEvents(1, 1, kind: "timer"), wake: .at(milliseconds: base + 500)))
        try await store.write(WorkflowWrite(run: workflowRecord("timer-b").run, wake: .at(milliseconds: base)))
        try await store.write(WorkflowWrite(run: workflowRecord("signal-only").run, wake: .onSignal))
        #expect(try await store.dueRuns(before: base - 1).isEmpty)
        #expect(try await store.dueRuns(before: base) == [WorkflowDueRun(run: workflowRecord("timer-b").run, wakeAt: base)])
        #expect(try await store.dueRuns(before: Int64.max - 1).map(\.run.workflowID) == ["timer-b", "timer-a"])
        #expect(try await store.dueRuns(before: Int64.max - 1, limit: 1).map(\.run.workflowID) == ["timer-b"])
        // A write without a wake leaves it; `.now` clears it; a final status clears it.
        try await store.write(WorkflowWrite(run: workflowRecord("timer-a").run, events: journalEvents(2, 2)))
        try await store.write(WorkflowWrite(run: workflowRecord("timer-b").run, wake: .now))
        #expect(try await store.dueRuns(before: Int64.max - 1).map(\.run.workflowID) == ["timer-a"])
        try await store.write(WorkflowWrite(run: workflowRecord("timer-a").run, status: .completed, wake: .at(milliseconds: base)))
        #expect(try await store.dueRuns(before: Int64.max - 1).isEmpty)
        // By the store's clock, a time in the past is due now.
        try await store.write(WorkflowWrite(run: workflowRecord("busy").run, wake: .at(milliseconds: 1_000)))
        #expect(try await store.dueRuns().map(\.run.workflowID) == ["busy"])
    }
}
