import Foundation
import Synchronization
import WippyCore

/// Makes the journal writer's commits durable and then acknowledges them, on a thread of its own, so the
/// writer goes on to its next batch while the disk flushes the last one.
///
/// With `synchronous = FULL` SQLite flushes the write-ahead log inside each COMMIT, and the one writer thread
/// of a store spent a fifth to a third of its time blocked there (two to four times longer when the log file
/// grows, as it does in a new store). The writer's connection now commits with `synchronous = NORMAL` (the
/// frames are written to the log, not flushed) and hands each committed batch here. This thread flushes the
/// log once for everything handed to it since its last flush (one `fdatasync` of the log file, which covers
/// every earlier commit: the log is written in order), then calls the batches' completions in commit order.
/// So an acknowledged write is on disk exactly as with FULL; what changes is only that other connections may
/// read a commit for the fraction of a millisecond before it is flushed. Nothing of the engine acts on a write
/// before its acknowledgement, and a crash that loses an unflushed commit loses every later one too.
///
/// A flush that fails leaves the store broken: the failed batches and every later item get the error, since
/// after a failed `fdatasync` Linux may have dropped the pages it could not write, and a later flush that
/// succeeds would not mean they are on disk.
///
/// Thread safety: `batches` is a ``BatchQueue`` and `failure` a `Mutex`; `flush` runs on one thread at a time
/// (this one, or the writer's while this one is idle).
final class WorkflowJournalSyncer: Sendable {
    /// Flushes the log: nil, or the error that says why it could not.
    typealias Flush = @Sendable () -> WippyError?

    /// A committed batch: whether it wrote anything (a batch of refused items needs no flush, only to keep its
    /// place in the order of acknowledgements), and what acknowledges it (given the flush's error, if any).
    struct Batch {
        var needsFlush: Bool
        var acknowledge: (WippyError?) -> Void
    }

    private let flush: Flush
    private let batches = BatchQueue<Batch>()
    private let failure = Mutex<WippyError?>(nil)

    init(flush: @escaping Flush) {
        self.flush = flush
    }

    /// Starts the thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "wippy-workflow-sync"
        thread.start()
    }

    /// The error of a failed flush: once set, nothing more is written to the store.
    var broken: WippyError? { failure.withLock { $0 } }

    /// Queues a batch the writer committed; its acknowledgement runs on this thread after the flush.
    func enqueue(_ batch: Batch) {
        // The writer closes this only after its last enqueue.
        let queued = batches.append(batch)
        assert(queued, "a batch handed to a closed syncer")
    }

    /// Flushes and acknowledges `batch` on the calling thread (the writer's) when this thread has nothing
    /// queued or in hand, and returns true; false (nothing done) otherwise. A lone write (nothing else
    /// queued for the writer either) is then acknowledged with no hand-off to wait for, as fast as a commit
    /// that flushes; under load the writer hands batches over and goes on.
    func acknowledgeHereIfIdle(_ batch: Batch) -> Bool {
        // Only the writer queues batches here, and it is this caller: an idle thread stays idle meanwhile.
        guard batches.isIdle else { return false }
        batch.acknowledge(batch.needsFlush ? broken ?? flushRecordingFailure() : nil)
        return true
    }

    /// Flushes and acknowledges what is queued, then ends the thread and waits for it.
    func close() { batches.close() }

    private func run() {
        while let taken = batches.take() {
            var error = broken
            if error == nil && taken.contains(where: \.needsFlush) { error = flushRecordingFailure() }
            for batch in taken { batch.acknowledge(batch.needsFlush ? error : nil) }
        }
        batches.finish()
    }

    /// Flushes the log; a failure is kept (the store is broken from then on) and returned.
    private func flushRecordingFailure() -> WippyError? {
        guard let failed = flush() else { return nil }
        failure.withLock { $0 = failed }
        return failed
    }
}
