import WippyCore
import WippyLua

/// A process's memory limit: its mailbox counts toward it, the scheduler ends it when it is over.
///
/// The Lua side of the account (objects made while the process runs, or while the runtime copies a message
/// into it) is kept by the allocator; the mailbox side is kept by the cell (``ProcessCell/mailboxBytes``) and
/// copied into the account whenever it grows, or items leave it.
extension LuaProcess {
    /// An item is joining the mailbox (the offer was declined): it counts toward the process's memory. Past the
    /// limit, after its Lua garbage is collected, the process ends and the item is dropped.
    func queue(_ item: MailboxItem, outcome: OfferOutcome) -> OfferOutcome {
        let memory = workerState.memory
        memory.setQueued(cell.mailboxBytes + item.estimatedBytes, for: account)
        guard memory.needsAttention else { return outcome }
        workerState.serviceMemory()
        return memory.isDoomed(account) ? .taken(schedule: true) : outcome
    }

    /// Copies the mailbox's bytes into the account (after items left it).
    @inline(__always)
    func syncMailboxBytes() { workerState.memory.setQueued(cell.mailboxBytes, for: account) }

    /// The scheduler's memory work at a safe point of ``run(_:)``: due checks, doomed processes, and a doom of
    /// this process. Returns the outcome when the process must end now.
    func attendToMemory() -> ProcessRunOutcome? {
        workerState.serviceMemory()
        let memory = workerState.memory
        if let message = LuaState.doomMessage {
            LuaState.clearDoom()
            _ = LuaState.takePreempted()
            // A doom for its memory ends the process with the full story; any other with the doom's message.
            let error = memory.isDoomed(account)
                ? (pendingFailure ?? memoryError()) : WippyError(message, kind: .internal, retryable: false)
            return .finished(.failure(error))
        }
        if memory.isDoomed(account) { return .finished(.failure(pendingFailure ?? memoryError())) }
        return nil
    }

    /// The account is doomed: the process ends the next time it runs (now, if it is running).
    func memoryDoomed() {
        if pendingFailure == nil { pendingFailure = memoryError() }
        cell.wake()
    }

    /// "memory limit exceeded: process <pid> (<entry>) holds 70 MiB (mailbox 2 MiB), limit 64 MiB".
    func memoryError() -> WippyError {
        let usage = workerState.memory.usage(of: account)
        let who = "process \(pid) (\(program.entryID))"
        if usage?.systemRefused == true {
            return WippyError("out of memory: the system refused memory to \(who)", kind: .internal, retryable: false)
        }
        var text = "memory limit exceeded: \(who)"
        if let usage {
            let limit = usage.limit.map(ProcessMemoryUsage.describe(bytes:))
            var held = ProcessMemoryUsage.describe(bytes: usage.bytes)
            // One decimal makes a figure just over the limit read as the limit itself.
            if held == limit, usage.bytes > usage.limit ?? .max { held = "more than " + held }
            text += " holds \(held)"
            if usage.queuedBytes > 0 { text += " (mailbox \(ProcessMemoryUsage.describe(bytes: usage.queuedBytes)))" }
            if let limit { text += ", limit \(limit)" }
        }
        return WippyError(text, kind: .internal, retryable: false)
    }

    /// The process's memory (worker thread only): Lua objects charged to it, live or not yet collected, and
    /// its mailbox.
    public var memoryUsage: ProcessMemoryUsage {
        let usage = workerState.memory.usage(of: account)
        return ProcessMemoryUsage(
            pid: pid, entry: program.entryID, bytes: usage?.bytes ?? 0, mailboxBytes: cell.mailboxBytes,
            limit: usage?.limit)
    }

    /// Changes the process's limit (bytes; nil for none). A process already over it is checked at the next
    /// safe point.
    public func setMemoryLimit(_ limit: Int?) { workerState.memory.setLimit(limit, for: account) }
}
