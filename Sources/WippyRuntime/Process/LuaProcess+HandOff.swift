import WippyCore
import WippyLua

/// The C hand-off of same-worker messages (`wippy_mailbox.c`, ``LuaMailboxes``).
///
/// A process gets a record in its worker's C table the first time a process of its worker sends it a message
/// (through the Swift path), or when it sends while having an inbox: processes that never converse on their
/// worker (an idle one, a one-shot reporter) pay nothing. While its only waiting task is blocked in a plain `inbox:receive()` and every
/// message would go to the inbox (no `listen` topics, no bus events, not a workflow), the record names that
/// task's thread: `process.send` from a process of this worker then builds the message on that thread in C
/// and calls ``wakeAfterHandOff`` to make the task ready. Every wake-up (``LuaTask/wake(arguments:)``), a
/// second waiter, a `listen` or an `events.subscribe` clears it.
extension LuaProcess {
    /// The record, made (with the PID string it is keyed by) on first use; nil for a workflow's process, or
    /// when out of memory.
    func ensureRecord() -> LuaMailboxes.Record? {
        if let record { return record }
        guard workflow == nil, !cell.isFinished else { return nil }
        // The worker's cached string of the PID: senders label messages with it anyway.
        workerState.pidCache.push(cell, on: lua, main: lua)
        record = workerState.mailboxes.add(pidOnTopOf: lua, account: account, owner: Unmanaged.passUnretained(self).toOpaque())
        return record
    }

    /// Called as `task` blocks in a plain receive on the inbox: lets C hand it the next message when it
    /// waits `alone` and every message would come to the inbox.
    func offerHandOff(to task: LuaTask, alone: Bool) {
        guard alone, !hasTopics, !mayReceiveBusEvents, workflow == nil, let record else {
            record?.waiting = nil
            return
        }
        record.arm(
            task.thread.pointer, waiter: Unmanaged.passUnretained(task).toOpaque(),
            channel: Unmanaged.passUnretained(inboxSubscription.unsafelyUnwrapped).toOpaque())
    }

    /// The C hand-off put `msg, true` on the thread of `waiter` (the inbox's only waiter): that task runs next
    /// time its process does. Unretained references only: this runs for every hand-off.
    static let wakeAfterHandOff: LuaMailboxes.Wake = { owner, waiter, channel in
        Unmanaged<LuaChannel>.fromOpaque(channel!)._withUnsafeGuaranteedRef { $0.receivers.dropSoleWaiter() }
        Unmanaged<LuaTask>.fromOpaque(waiter!)._withUnsafeGuaranteedRef { $0.wake(arguments: 2) }
        // Guaranteed references all the way: loading the unowned(unsafe) `cell` and `worker` as strong ones
        // costs a retain and a release each around the (opaque) schedule call.
        Unmanaged<LuaProcess>.fromOpaque(owner!)._withUnsafeGuaranteedRef { process in
            Unmanaged.passUnretained(process.cell)._withUnsafeGuaranteedRef { cell in
                Unmanaged.passUnretained(cell.worker)._withUnsafeGuaranteedRef { $0.schedule(cell) }
            }
        }
    }
}
