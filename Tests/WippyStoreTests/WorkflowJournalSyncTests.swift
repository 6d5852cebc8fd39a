import Dispatch
import Foundation
import GRDB
import Synchronization
import Testing
import WippyCore
@testable import WippyStore

/// The SQLite store's writer commits without flushing and a second thread flushes the write-ahead log before
/// any completion runs (issue 8: every acknowledged step durable; the flush no longer stops the writer).
@Suite struct WorkflowJournalSyncTests {
    /// A flush the test holds: it reports when it is entered and returns when released (or fails when told).
    final class HeldFlush: Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let calls = Atomic<Int>(0)
        let failure: WippyError?

        init(failure: WippyError? = nil) { self.failure = failure }

        var flush: WorkflowJournalSyncer.Flush {
            { [self] in
                calls.add(1, ordering: .relaxed)
                entered.signal()
                release.wait()
                return failure
            }
        }
    }

    @Test func aWriteIsAcknowledgedOnlyAfterTheFlushThatFollowsItsCommit() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let held = HeldFlush()
        let store = try SQLiteWorkflowStore(path: path, flush: held.flush)
        defer {
            // Later flushes (the close's) must not wait for a release that never comes.
            for _ in 0..<8 { held.release.signal() }
            store.close()
        }
        let tally = CompletionTally(count: 1)
        store.submit(.start(workflowRecord("durable"), events: journalEvents(1, 2)), completion: tally.completion(0))
        // The flush is entered after the commit: the run is in the file, visible to another connection...
        #expect(held.entered.wait(timeout: .now() + 30) == .success, "the flush was never called")
        #expect(try rawFetch(path, "SELECT count(*) FROM workflow_journal") == "2")
        // ...but not acknowledged while the flush has not returned.
        #expect(tally.calls == [0])
        held.release.signal()
        try await tally.waitAll()
        #expect(tally.succeeded(0))
        #expect(held.calls.load(ordering: .relaxed) == 1)
    }

    @Test func aFailedFlushFailsItsWritesAndTheStoreWritesNothingMore() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let held = HeldFlush(failure: .unavailable("the disk is gone"))
        let store = try SQLiteWorkflowStore(path: path, flush: held.flush)
        defer {
            for _ in 0..<8 { held.release.signal() }
            store.close()
        }
        held.release.signal()
        let first = CompletionTally(count: 1)
        store.submit(.start(workflowRecord("a"), events: journalEvents(1, 1)), completion: first.completion(0))
        try await first.waitAll()
        #expect(first.error(0)?.message == "the disk is gone")

        let later = CompletionTally(count: 1)
        store.submit(.start(workflowRecord("b"), events: journalEvents(1, 1)), completion: later.completion(0))
        try await later.waitAll()
        #expect(later.error(0)?.message == "the disk is gone")
        #expect(try rawFetch(path, "SELECT count(*) FROM workflow_runs WHERE workflow_id = 'b'") == "0", "nothing is written after a failed flush")
        #expect(held.calls.load(ordering: .relaxed) == 1, "a broken store does not flush again")
    }

    /// Under load the writer hands each batch over and commits the next while the last is flushed (here every
    /// batch is handed over; a lone one is otherwise flushed by the writer: `aLoneWrite...`).
    @Test func batchesCommittedDuringAFlushAreAcknowledgedInOrderAfterTheNextOne() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let held = HeldFlush()
        let store = try SQLiteWorkflowStore(path: path, flush: held.flush, acknowledgesLoneBatches: false)
        defer {
            for _ in 0..<8 { held.release.signal() }
            store.close()
        }
        let order = Mutex<[Int]>([])
        let tally = CompletionTally(count: 3)
        let record = workflowRecord("ordered")
        store.submit(.start(record, events: journalEvents(1, 1)), completion: tally.completion(0) { _ in order.withLock { $0.append(0) } })
        #expect(held.entered.wait(timeout: .now() + 30) == .success)
        // The writer goes on while the first flush is held: both later writes are committed before it returns.
        store.submit(WorkflowWrite(run: record.run, events: journalEvents(2, 2)), completion: tally.completion(1) { _ in order.withLock { $0.append(1) } })
        store.submit(WorkflowWrite(run: record.run, events: journalEvents(3, 3)), completion: tally.completion(2) { _ in order.withLock { $0.append(2) } })
        let deadline = ContinuousClock.now + .seconds(30)
        while try rawFetch(path, "SELECT count(*) FROM workflow_journal") != "3" {
            #expect(ContinuousClock.now < deadline, "the writer did not commit while the flush was held")
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(tally.calls == [0, 0, 0])
        for _ in 0..<3 { held.release.signal() }
        try await tally.waitAll()
        #expect(order.withLock { $0 } == [0, 1, 2])
        #expect(store.stats.commitsFlushedByWriter == 0)
        // One flush for the first batch, then one for what was committed while it ran (two when the second
        // commit reached the syncer only after it had taken the first).
        #expect((2...3).contains(held.calls.load(ordering: .relaxed)))
    }

    /// A lone write (nothing queued behind it, the syncer idle) is flushed by the writer itself: no hand-off.
    @Test func aLoneWriteIsFlushedAndAcknowledgedByTheWriterItself() async throws {
        let dir = try TemporaryDirectory()
        let flushes = Atomic<Int>(0)
        let store = try SQLiteWorkflowStore(path: dir.path + "/workflows.db", flush: {
            flushes.add(1, ordering: .relaxed)
            return nil
        })
        defer { store.close() }
        let record = workflowRecord("alone")
        try await store.write(.start(record, events: journalEvents(1, 1)))
        try await store.write(WorkflowWrite(run: record.run, events: journalEvents(2, 2)))
        #expect(store.stats.commits == 2)
        #expect(store.stats.commitsFlushedByWriter == 2)
        #expect(flushes.load(ordering: .relaxed) == 2)
    }

    @Test func theLogFileIsFlushedThroughADescriptorOfItsOwnAndReopenedWhenReplaced() throws {
        let dir = try TemporaryDirectory()
        #expect(WriteAheadLogFile(database: dir.path + "/none.db") == nil)
        let path = dir.path + "/workflows.db"
        try rawExecute(path, "PRAGMA journal_mode = WAL")
        let raw = try rawConnection(path)
        defer { try? raw.close() }
        try raw.writeWithoutTransaction { db in try db.execute(sql: "CREATE TABLE t (x)") }
        let log = try #require(WriteAheadLogFile(database: path))
        #expect(log.flush() == nil)
        // No file at the path: the one held is flushed (SQLite writes there still); a file put in its place
        // (as SQLite would after deleting the log) is the one flushed next.
        try FileManager.default.removeItem(atPath: path + "-wal")
        #expect(log.flush() == nil)
        #expect(FileManager.default.createFile(atPath: path + "-wal", contents: Data([1, 2, 3])))
        #expect(log.flush() == nil)
        try FileManager.default.removeItem(atPath: dir.path)
        #expect(log.flush() == nil, "the directory removed under the store: the file held is flushed")
    }
}
