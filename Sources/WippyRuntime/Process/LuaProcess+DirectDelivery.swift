import WippyCore
import WippyLua

/// The same-worker fast path of `process.send`: when a task of the receiving process is already waiting on
/// the channel the message would reach, the message object is built straight on that task's thread from the
/// sender's arguments (one Lua state: the topic string is shared, the payload deep-copied Lua to Lua), with
/// no `Message` and no `Payload` in between.
///
/// A waiting receiver means the mailbox holds nothing for its channel, so arrival order is kept.
extension LuaProcess {
    /// Tries the fast path; false when it does not apply (nothing was done).
    func deliverDirect(
        from sender: LuaProcess, source: Lua, topicIndex: Int32, firstPayload: Int32, payloadCount: Int32
    ) -> Bool {
        guard !cell.isFinished else { return false }
        let channel: LuaChannel?
        if !hasTopics {
            channel = inboxSubscription
        } else {
            guard let topic = source.stringCoercing(at: topicIndex) else { return false }
            channel = topics[topic]?.channel ?? inboxSubscription
        }
        guard let channel else { return false }
        channel.pruneReceivers()
        guard let receiver = channel.receivers.popFirst() else { return false }
        let thread = receiver.task.thread
        // The copy is the receiver's: charged to its account (which may go over its limit: the next safe
        // point checks it).
        let accounts = workerState.memory
        let previous = accounts.charge(account)
        defer { accounts.charge(previous) }
        thread.ensureStack(8)
        if receiver.caseIndex > 0 { thread.push(Int64(receiver.caseIndex)) }
        var copier = LuaCopier(state: workerState)
        if case .topic = channel.source, !channel.deliversMessages {
            copyValues(from: source, first: firstPayload, count: payloadCount, to: thread, copier: &copier)
        } else {
            let memory = thread.newTaggedUserdata(.message, size: 8, userValues: 3)
            memory.storeBytes(of: payloadCount, as: Int32.self)
            source.pushValue(at: topicIndex)
            source.move(1, to: thread)
            thread.setUserValue(-2, 1)
            workerState.pidCache.push(sender.cell, on: thread, main: lua)
            thread.setUserValue(-2, 2)
            copyValues(from: source, first: firstPayload, count: payloadCount, to: thread, copier: &copier)
            thread.setUserValue(-2, 3)
            workerState.pushMetatable(.message, on: thread)
            thread.setMetatable(-2)
        }
        thread.push(true)
        receiver.task.wake(arguments: receiver.caseIndex > 0 ? 3 : 2)
        cell.worker.schedule(cell)
        return true
    }

    /// Pushes one value (one payload), an array (several) or nil (none), copied from `source`.
    private func copyValues(from source: Lua, first: Int32, count: Int32, to thread: Lua, copier: inout LuaCopier) {
        switch count {
        case 0:
            thread.pushNil()
        case 1:
            copier.copy(first, from: source, to: thread)
            copier.finish(on: thread)
        default:
            thread.newTable(arrayCapacity: count, fieldCapacity: 0)
            for offset in 0..<count {
                copier.copy(first + offset, from: source, to: thread)
                thread.rawSet(-2, index: Int64(offset + 1))
            }
            copier.finish(on: thread)
        }
    }
}
