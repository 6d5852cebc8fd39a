import DequeModule
import WippyCore
public import WippyLua

/// Channel operations. Every waiter is a task of this process; handing a value over pushes it on the
/// waiting task's thread and makes the task ready.
extension LuaProcess {
    // MARK: - Waking waiters

    /// Wakes a receiver with the value on top of `source` (moved) and `ok`.
    func wakeReceiver(_ waiter: LuaChannel.Waiter, valueFrom source: Lua, ok: Bool) {
        let thread = waiter.task.thread
        if waiter.caseIndex > 0 {
            thread.push(Int64(waiter.caseIndex))
            source.move(1, to: thread)
            thread.push(ok)
            waiter.task.wake(arguments: 3)
        } else {
            source.move(1, to: thread)
            thread.push(ok)
            waiter.task.wake(arguments: 2)
        }
    }

    /// Wakes a receiver of a closed channel: `nil, false`.
    func wakeReceiverClosed(_ waiter: LuaChannel.Waiter) {
        let thread = waiter.task.thread
        if waiter.caseIndex > 0 {
            thread.push(Int64(waiter.caseIndex))
            thread.pushNil()
            thread.push(false)
            waiter.task.wake(arguments: 3)
        } else {
            thread.pushNil()
            thread.push(false)
            waiter.task.wake(arguments: 2)
        }
    }

    /// Wakes a sender whose value was taken.
    func wakeSender(_ waiter: LuaChannel.Waiter) {
        let thread = waiter.task.thread
        if waiter.caseIndex > 0 {
            thread.push(Int64(waiter.caseIndex))
            thread.push(waiter.value)
            thread.push(true)
            waiter.task.wake(arguments: 3)
        } else {
            thread.push(true)
            waiter.task.wake(arguments: 1)
        }
        lua.unref(waiter.value)
    }

    /// Wakes a sender blocked on a channel that got closed: `nil, err`.
    func wakeSenderClosed(_ waiter: LuaChannel.Waiter) {
        let thread = waiter.task.thread
        thread.pushNil()
        workerState.pushError(WippyError("send on closed channel", kind: .invalid), on: thread)
        waiter.task.wake(arguments: 2)
        lua.unref(waiter.value)
    }

    // MARK: - Operations

    /// Receives into `target` if possible right now: pushes `value, ok` and returns true.
    func tryReceive(_ channel: LuaChannel, into target: Lua) -> Bool {
        if let ref = channel.buffer.popFirst() {
            target.push(ref)
            lua.unref(ref)
            target.push(true)
            channel.pruneSenders(lua)
            if let sender = channel.senders.popFirst() {
                // the blocked sender's value moves into the buffer
                channel.buffer.append(sender.value)
                let thread = sender.task.thread
                if sender.caseIndex > 0 {
                    thread.push(Int64(sender.caseIndex))
                    thread.push(sender.value)
                    thread.push(true)
                    sender.task.wake(arguments: 3)
                } else {
                    thread.push(true)
                    sender.task.wake(arguments: 1)
                }
            }
            return true
        }
        channel.pruneSenders(lua)
        if let sender = channel.senders.popFirst() {
            target.push(sender.value)
            target.push(true)
            wakeSender(sender)
            return true
        }
        if !channel.isClosed, let source = channel.source, pullMailbox(for: source, channel: channel, into: target) {
            target.push(true)
            return true
        }
        if channel.isClosed {
            target.pushNil()
            target.push(false)
            return true
        }
        return false
    }

    /// Sends the value at `index` of `source` if possible right now; returns true when delivered/buffered.
    func trySend(_ channel: LuaChannel, valueAt index: Int32, from source: Lua) -> Bool {
        channel.pruneReceivers()
        if let receiver = channel.receivers.popFirst() {
            source.pushValue(at: index)
            wakeReceiver(receiver, valueFrom: source, ok: true)
            return true
        }
        if channel.buffer.count < channel.capacity {
            source.pushValue(at: index)
            channel.buffer.append(source.ref())
            return true
        }
        return false
    }

    /// `ch:receive()`.
    func receive(_ channel: LuaChannel, task: LuaTask, on thread: Lua) -> Int32 {
        if tryReceive(channel, into: thread) { return 2 }
        if let refusal = thread.refuseBlockingIfNeeded() { return refusal }
        blockReceiving(on: channel, task: task)
        return thread.yieldToScheduler()
    }

    /// Blocks `task` in a plain receive on `channel`, which has nothing for it now (the caller yields to the
    /// scheduler). Also what a receive that blocks in C records (``parkInInbox``).
    @inline(__always)
    func blockReceiving(on channel: LuaChannel, task: LuaTask) {
        let token = task.block()
        if channel === inboxSubscription && offerHandOff(to: task, alone: channel.receivers.isEmpty) {
            // the C hand-off's waiter: parked, unretained (see WaiterQueue)
            channel.receivers.park(task, token: token)
            return
        }
        channel.receivers.append(LuaChannel.Waiter(task: task, token: token, caseIndex: 0, value: .none))
    }

    /// `ch:send(v)` with the value at index 2.
    func send(_ channel: LuaChannel, task: LuaTask, on thread: Lua) -> Int32 {
        if channel.isClosed { return thread.raise("send on closed channel") }
        if trySend(channel, valueAt: 2, from: thread) {
            thread.push(true)
            return 1
        }
        if let refusal = thread.refuseBlockingIfNeeded() { return refusal }
        let token = task.block()
        thread.pushValue(at: 2)
        // A sender blocked on the inbox: receives must take its value first, in Swift.
        if channel === inboxSubscription { record?.setInbox(nil, channel: nil) }
        channel.senders.append(LuaChannel.Waiter(task: task, token: token, caseIndex: 0, value: thread.ref()))
        return thread.yieldToScheduler()
    }

    /// `ch:close()`: blocked receivers get `nil, false`, blocked senders `nil, err`.
    func close(_ channel: LuaChannel) {
        guard !channel.isClosed else { return }
        channel.isClosed = true
        while let receiver = channel.receivers.popFirst() {
            if receiver.task.isWaiting(on: receiver.token) { wakeReceiverClosed(receiver) }
        }
        while let sender = channel.senders.popFirst() {
            if sender.task.isWaiting(on: sender.token) { wakeSenderClosed(sender) } else { lua.unref(sender.value) }
        }
    }

    /// Delivers `payload`-made values into `channel` from the host side (timers, futures): hands it to a
    /// waiting receiver, or buffers it when there is room; otherwise drops it (tickers drop ticks).
    public func deliver(into channel: LuaChannel, push: (Lua) -> Void) {
        guard !channel.isClosed else { return }
        channel.pruneReceivers()
        if let receiver = channel.receivers.popFirst() {
            push(lua)
            wakeReceiver(receiver, valueFrom: lua, ok: true)
        } else if channel.buffer.count < channel.capacity {
            push(lua)
            channel.buffer.append(lua.ref())
        }
    }

    /// Closes a channel from the host side.
    public func closeChannel(_ channel: LuaChannel) { close(channel) }

    // MARK: - select

    /// `channel.select` core: the cases table at index 1; returns `index, value, ok` (0 for default), or
    /// blocks.
    func select(task: LuaTask, on thread: Lua, hasDefault: Bool) -> Int32 {
        let count = LuaValueConverter.sequenceLength(of: 1, in: thread)
        var cases: [(index: Int32, channel: LuaChannel, isSend: Bool)] = []
        if count > 0 {
            for i in 1...count {
                thread.rawGet(1, index: Int64(i))
                if let selectCase = LuaChannel.selectCase(at: -1, in: thread) {
                    cases.append((Int32(i), selectCase.channel, selectCase.isSend))
                }
                thread.pop()
            }
        }
        for entry in cases {
            if entry.isSend {
                if entry.channel.isClosed || !entry.channel.canSend() { continue }
                thread.rawGet(1, index: Int64(entry.index))
                thread.getUserValue(-1, 2)
                let valueIndex = thread.top
                _ = trySend(entry.channel, valueAt: valueIndex, from: thread)
                thread.push(Int64(entry.index))
                thread.pushValue(at: valueIndex)
                thread.push(true)
                return 3
            } else if entry.channel.canReceive(lua, process: self) {
                thread.push(Int64(entry.index))
                _ = tryReceive(entry.channel, into: thread)
                return 3
            }
        }
        if hasDefault {
            thread.push(Int64(0))
            return 1
        }
        if cases.isEmpty { return thread.raise("select: no cases") }
        if let refusal = thread.refuseBlockingIfNeeded() { return refusal }
        let token = task.block()
        for entry in cases {
            if entry.isSend {
                if entry.channel.isClosed { continue }
                thread.rawGet(1, index: Int64(entry.index))
                thread.getUserValue(-1, 2)
                let ref = thread.ref()
                thread.pop()
                if entry.channel === inboxSubscription { record?.setInbox(nil, channel: nil) }
                entry.channel.senders.append(LuaChannel.Waiter(task: task, token: token, caseIndex: entry.index, value: ref))
            } else {
                // Only a plain receive that waits alone takes C hand-offs.
                // (A select is no C hand-off's, and C must not queue what it would miss.)
                if entry.channel === inboxSubscription {
                    record?.waiting = nil
                    closeQueue()
                }
                entry.channel.receivers.append(LuaChannel.Waiter(task: task, token: token, caseIndex: entry.index, value: .none))
            }
        }
        return thread.yieldToScheduler()
    }
}
