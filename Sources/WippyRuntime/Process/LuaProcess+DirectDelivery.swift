import WippyCore
import WippyLua

/// The same-worker fast path of `process.send`: when a task of the receiving process is already waiting on
/// the channel the message would reach, the message object is built straight on that task's thread from the
/// sender's arguments (one Lua state: the topic string is shared, the payload deep-copied Lua to Lua), with
/// no `Message` and no `Payload` in between.
///
/// A waiting receiver means the mailbox holds nothing for its channel, so arrival order is kept.
extension LuaProcess {
    enum DirectDelivery: UInt8 {
        /// The message was handed to the waiting task.
        case delivered
        /// The fast path does not apply; nothing was done.
        case notApplicable
        /// A payload cannot be sent; nothing was delivered, and the error object is on top of `source`.
        case refused
    }

    /// The Lua process behind `cell`, if it runs one: a metadata compare, not a dynamic cast (this runs for
    /// every same-worker send; `LuaProcess` is final, so an equal type is exactly this class).
    @inline(__always)
    static func behavior(of cell: ProcessCell) -> LuaProcess? {
        guard let behavior = cell.behavior, type(of: behavior) == LuaProcess.self else { return nil }
        return unsafeDowncast(behavior as AnyObject, to: LuaProcess.self)
    }

    /// Tries the fast path.
    func deliverDirect(
        from sender: LuaProcess, source: Lua, topicIndex: Int32, firstPayload: Int32, payloadCount: Int32
    ) -> DirectDelivery {
        guard !cell.isFinished, workflow == nil else { return .notApplicable }
        let channel: LuaChannel?
        if !hasTopics {
            channel = inboxSubscription
        } else {
            guard let topic = source.stringCoercing(at: topicIndex) else { return .notApplicable }
            channel = topics[topic]?.channel ?? inboxSubscription
        }
        guard let channel else { return .notApplicable }
        channel.pruneReceivers()
        guard let receiver = channel.receivers.popFirst() else { return .notApplicable }
        let thread = receiver.task.thread
        // Only payloads can be refused; without any there is nothing to undo (the common case: no stack read).
        let top = payloadCount > 0 ? thread.top : 0
        do throws(UnsendableValue) {
            try build(for: receiver, on: thread, channel: channel, from: sender, source: source, topicIndex: topicIndex,
                firstPayload: firstPayload, payloadCount: payloadCount)
        } catch {
            return undo(error, receiver: receiver, channel: channel, thread: thread, top: top, source: source)
        }
        thread.push(true)
        receiver.task.wake(arguments: receiver.caseIndex > 0 ? 3 : 2)
        cell.worker.schedule(cell)
        return .delivered
    }

    /// A refused message: nothing happened (the receiver keeps waiting, first in line); the error object goes
    /// on top of `source`.
    @inline(never)
    private func undo(
        _ error: UnsendableValue, receiver: LuaChannel.Waiter, channel: LuaChannel, thread: Lua, top: Int32, source: Lua
    ) -> DirectDelivery {
        thread.top = top
        channel.receivers.pushFront(receiver)
        workerState.pushError(error.error(root: "args[\(error.argument ?? 1)]"), on: source)
        return .refused
    }

    /// Pushes what the receiver gets on its thread: `[case index,] value` (a message object, or the values of
    /// a raw `listen` channel).
    @inline(__always)
    private func build(
        for receiver: LuaChannel.Waiter, on thread: Lua, channel: LuaChannel, from sender: LuaProcess, source: Lua,
        topicIndex: Int32, firstPayload: Int32, payloadCount: Int32
    ) throws(UnsendableValue) {
        // The copy is the receiver's: charged to its account (which may go over its limit: the next safe
        // point checks it).
        let accounts = workerState.memory
        let previous = accounts.charge(account)
        defer { accounts.charge(previous) }
        thread.ensureStack(8)
        if receiver.caseIndex > 0 { thread.push(Int64(receiver.caseIndex)) }
        if case .topic = channel.source, !channel.deliversMessages {
            try copyValues(from: source, first: firstPayload, count: payloadCount, to: thread)
        } else {
            // (the layout of `pushMessage`: the sender's text may be left for `msg:from()` to make)
            let memory = thread.newTaggedUserdata(.message, size: 16, userValues: 3)
            memory.storeBytes(of: payloadCount, as: Int32.self)
            memory.storeBytes(of: Int32(0), toByteOffset: 4, as: Int32.self)
            source.pushValue(at: topicIndex)
            source.move(1, to: thread)
            thread.setUserValue(-2, 1)
            if !workerState.pidCache.pushIfSeen(sender.cell, on: thread, main: lua) {
                let pid = sender.cell.pid
                workerState.pidCache.pushPrefix(of: pid, on: thread, main: lua)
                memory.storeBytes(of: Int32(1), toByteOffset: 4, as: Int32.self)
                memory.storeBytes(of: pid.uniq, toByteOffset: 8, as: UInt64.self)
            }
            thread.setUserValue(-2, 2)
            // User value 3 starts as nil: a message without payload (the common request/reply shape) sets
            // nothing more.
            if payloadCount > 0 {
                try copyValues(from: source, first: firstPayload, count: payloadCount, to: thread)
                thread.setUserValue(-2, 3)
            }
            workerState.pushMetatable(.message, on: thread)
            thread.setMetatable(-2)
        }
    }

    /// Pushes one value (one payload), an array (several) or nil (none), copied from `source`.
    private func copyValues(from source: Lua, first: Int32, count: Int32, to thread: Lua) throws(UnsendableValue) {
        switch count {
        case 0:
            thread.pushNil()
            return
        case 1 where LuaCopier.isPlain(source, first):
            // A scalar or string needs no copier (strings are immutable and shared within the state).
            source.pushValue(at: first)
            source.move(1, to: thread)
            return
        default:
            break
        }
        var copier = LuaCopier(state: workerState)
        switch count {
        case 1:
            try copier.copy(first, from: source, to: thread)
            copier.finish(on: thread)
        default:
            thread.newTable(arrayCapacity: count, fieldCapacity: 0)
            for offset in 0..<count {
                do throws(UnsendableValue) {
                    try copier.copy(first + offset, from: source, to: thread)
                } catch {
                    var error = error
                    error.argument = Int32(offset + 1)
                    throw error
                }
                thread.rawSet(-2, index: Int64(offset + 1))
            }
            copier.finish(on: thread)
        }
    }
}

// MARK: - Delivery into the C queue

extension LuaProcess {
    /// A message the worker delivers (from another worker, or through the Swift path of this one) that no
    /// task waits for: when it is of the shape C queues itself (a topic, no payload or one plain one) and the
    /// C queue is open (or may open now: see ``openQueueIfClear()``), its object is made here and appended to
    /// the C queue (true). Else the mailbox takes it as before (false), which closes the C queue.
    ///
    /// Order: an open queue means the mailbox holds nothing the inbox could take, and every message already
    /// in the C queue is older than this one, so a receive taking the C queue first still sees each sender's
    /// messages in order. A process with an inbox but no record yet (replies only from other workers so far)
    /// gets one here: it will receive, and its own worker's processes may then send to it in C too.
    func queueInC(_ message: Message) -> Bool {
        guard Self.queuesInC(message) else { return false }
        if record == nil {
            guard inboxSubscription != nil, ensureRecord() != nil else { return false }
        }
        openQueueIfClear()
        guard let record, record.queueOpen else { return false }
        _ = lua.ensureStack(4)
        pushMessage(message, on: lua)
        workerState.mailboxes.append(record, from: lua)
        return true
    }

    /// The memory check of a message queued in C (the caller charged its object to this process's account):
    /// as for one joining the mailbox, past the limit the process ends (scheduled, so that it does).
    func afterQueuedInC() -> OfferOutcome {
        let memory = workerState.memory
        guard memory.needsAttention else { return .taken(schedule: false) }
        workerState.serviceMemory()
        return .taken(schedule: memory.isDoomed(account))
    }

    /// What C queues: the messages `wippy_process_send` would queue, whose object converts back to the same
    /// message when a `listen` moves the queue into the mailbox (``spillQueuedMessages()``): no `@` topic,
    /// and no payload or one scalar or string.
    @inline(__always)
    static func queuesInC(_ message: Message) -> Bool {
        if message.topic.utf8.first == UInt8(ascii: "@") { return false }
        switch message.payloads.count {
        case 0:
            return true
        case 1:
            switch message.payloads[0] {
            case .null, .bool, .int, .double, .string, .bytes: return true
            case .table, .reference, .error: return false
            }
        default:
            return false
        }
    }
}
