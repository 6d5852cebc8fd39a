import Foundation
public import WippyCore
public import WippyLua

/// Continue-as-new: `process.upgrade(entry_or_nil, ...)` inside a workflow (durable-cluster-ai §1.3). The run
/// ends as `continued` and a new run of the same workflow id starts with the new arguments (and entry), on
/// that entry's current code, with a fresh journal; both are one store write, so no crash can leave one
/// without the other. The PID, the process cell (its monitors) and the mailbox stay: the successor's session
/// replaces the process's behaviour once the write is durable, and monitors see EXIT only when the last run
/// ends. Signals the run had not received (journaled and not delivered, or delivered and still in the
/// mailbox) begin the successor's journal; signal rows still in the store are addressed to the workflow id
/// and are taken by the successor.
extension WorkflowSession {
    /// `process.upgrade` from `task`: never returns to the code (the task stays suspended until the process is
    /// replaced). Returns the native's status; `nil, err` when the entry cannot continue the workflow.
    public func continueAsNew(_ task: LuaTask, from lua: Lua, entry: EntryID, arguments: [Payload]) -> Int32 {
        if let refusal = lua.refuseBlockingIfNeeded() { return refusal }
        guard divergence == nil, !isEnding, !isLeaving else { return suspendForever(task, lua) }
        // A replay that ends earlier than its journal did diverged (as a return would).
        if let unmatched = unmatchedCommand(actual: "process.upgrade (continue as new)") {
            block("\(unmatched)", at: lua.where(level: 1))
            return suspendForever(task, lua)
        }
        let mailbox = process.cell.mailbox
        let inherited = WorkflowSession.inheritable(Array(mailbox), undelivered: undelivered(take: false))
        let successor: WorkflowSuccessor
        do {
            successor = try observer.sessionSuccessor(
                self, entry: entry, arguments: arguments, context: process.context, inherited: inherited)
        } catch {
            return process.workerState.fail(error, on: lua)
        }
        // From here the run only ends: nothing of it runs or is delivered again.
        isEnding = true
        isContinuing = true
        _ = undelivered(take: true)
        process.cell.removeFromMailbox { _ in true }
        process.readyQueue.removeAll()
        let result = (try? PayloadArchive.encode(.map([
            ("continued_as", .string(successor.record.run.runID)), ("entry", .string(successor.record.entry.description)),
        ]))) ?? []
        flush(status: .continued, result: result, successor: successor) { [unowned(unsafe) self] in
            self.process.pendingUpgrade = self.observer.sessionContinued(self, as: successor, from: self.process)
        }
        return suspendForever(task, lua)
    }

    /// Blocks `task` for good (its process ends or is replaced without resuming it).
    private func suspendForever(_ task: LuaTask, _ lua: Lua) -> Int32 {
        _ = process.suspend(task) { _, _ in 0 }
        return lua.yieldToScheduler()
    }

    /// The signals and cancellations among `mailbox` (delivered, not received) and `undelivered` (journaled,
    /// not delivered), oldest first, as events of a new journal (their seqs are set by the successor).
    static func inheritable(_ mailbox: [MailboxItem], undelivered: [JournalEvent]) -> [JournalEvent] {
        var events: [JournalEvent] = []
        let now = WorkflowSession.wallClock
        for item in mailbox {
            switch item {
            case .message(let message):
                events.append(JournalEvent(
                    seq: 0, kind: "signal", key: message.topic, payload: WorkflowJournalCodec.event(time: now, encode(message))))
            case .event(.cancel(let from, let reason)):
                let body = Payload.map([("from", .string(from?.description ?? "")), ("reason", .string(reason))])
                events.append(JournalEvent(seq: 0, kind: "cancel", payload: WorkflowJournalCodec.event(time: now, body)))
            case .event:
                break
            }
        }
        events += undelivered.filter { $0.kind == "signal" || $0.kind == "cancel" }
        return events
    }
}
