import NIOCore

/// Runs a task's jobs on one NIO event loop instead of Swift's shared cooperative pool.
///
/// The PostgreSQL store's writer, pool and listener tasks run here, so a thread that blocks in ``close()``
/// or in the store's synchronous set-up (as ``WorkflowStore/close()`` must) never starves them, whichever
/// pool thread it is. Their work is I/O waits and short bookkeeping, as an event loop expects.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
