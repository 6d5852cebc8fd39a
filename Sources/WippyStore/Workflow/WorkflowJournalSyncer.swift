import Foundation
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
/// Thread safety: `pending`, `closing`, `finished` and `failure` are guarded by `condition`. Hence
/// `@unchecked Sendable`.
final class WorkflowJournalSyncer: @unchecked Sendable {
    /// Flushes the log: nil, or the error that says why it could not.
    typealias Flush = @Sendable () -> WippyError?

    /// A committed batch: whether it wrote anything (a batch of refused items needs no flush, only to keep its
    /// place in the order of acknowledgements), and what acknowledges it (given the flush's error, if any).
    struct Batch {
        var needsFlush: Bool
        var acknowledge: (WippyError?) -> Void
    }

    private let flush: Flush
    private let condition = NSCondition()
    private var pending: [Batch] = []
    /// True while this thread flushes or acknowledges batches it took.
    private var working = false
    private var closing = false
    private var finished = false
    private var failure: WippyError?

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
    var broken: WippyError? {
        condition.lock()
        defer { condition.unlock() }
        return failure
    }

    /// Queues a batch the writer committed; its acknowledgement runs on this thread after the flush.
    func enqueue(_ batch: Batch) {
        condition.lock()
        pending.append(batch)
        let wakes = pending.count == 1
        condition.unlock()
        if wakes { condition.signal() }
    }

    /// Flushes and acknowledges `batch` on the calling thread (the writer's) when this thread has nothing
    /// queued or in hand, and returns true; false (nothing done) otherwise. A lone write (nothing else
    /// queued for the writer either) is then acknowledged with no hand-off to wait for, as fast as a commit
    /// that flushes; under load the writer hands batches over and goes on.
    func acknowledgeHereIfIdle(_ batch: Batch) -> Bool {
        condition.lock()
        let idle = pending.isEmpty && !working
        let error = failure
        condition.unlock()
        // Only the writer queues batches here, and it is this caller: an idle thread stays idle meanwhile.
        guard idle else { return false }
        batch.acknowledge(batch.needsFlush ? error ?? flushRecordingFailure() : nil)
        return true
    }

    /// Flushes and acknowledges what is queued, then ends the thread and waits for it.
    func close() {
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !closing { condition.wait() }
            let batches = pending
            pending = []
            let done = batches.isEmpty && closing
            if done {
                finished = true
                condition.broadcast()
            }
            var error = failure
            working = !done
            condition.unlock()
            if done { return }
            if error == nil && batches.contains(where: \.needsFlush) { error = flushRecordingFailure() }
            for batch in batches { batch.acknowledge(batch.needsFlush ? error : nil) }
            condition.lock()
            working = false
            condition.unlock()
        }
    }

    /// Flushes the log; a failure is kept (the store is broken from then on) and returned.
    private func flushRecordingFailure() -> WippyError? {
        guard let failed = flush() else { return nil }
        condition.lock()
        failure = failed
        condition.unlock()
        return failed
    }
}
