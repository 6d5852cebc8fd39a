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
        noteInbox()
        return record
    }

    /// Lets `receive` on this process's inbox channel take messages queued in C, in C: the record keeps the
    /// address of the channel's userdata (which the subscription's reference keeps alive). Not while a sender
    /// is blocked on the inbox (a receive must take its value first): a blocked sender clears it for the
    /// rest of that inbox's life (the Swift native then does every receive).
    func noteInbox() {
        guard let record, let subscription = inbox else { return }
        guard subscription.channel.senders.isEmpty else {
            record.setInbox(nil, channel: nil)
            return
        }
        lua.push(subscription.ref)
        record.setInbox(UnsafeRawPointer(lua.userdata(at: -1)), channel: Unmanaged.passUnretained(subscription.channel).toOpaque())
        lua.pop()
    }

    /// Called as `task` blocks in a plain receive on the inbox: lets C hand it the next message when it
    /// waits `alone` and every message would come to the inbox. True when armed: the caller then parks the
    /// task in the channel's waiters (unretained) instead of adding a waiter.
    @inline(__always)
    func offerHandOff(to task: LuaTask, alone: Bool) -> Bool {
        guard alone, !hasTopics, !mayReceiveBusEvents, workflow == nil, let record else {
            // a second waiter: C could wake neither, nor queue for them
            record?.waiting = nil
            closeQueue()
            return false
        }
        record.arm(
            task.thread.pointer, waiter: Unmanaged.passUnretained(task).toOpaque(),
            channel: Unmanaged.passUnretained(inboxSubscription.unsafelyUnwrapped).toOpaque())
        record.solo = readyQueue.isEmpty && !mustStop
        return true
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

    /// A plain receive on the inbox blocked in C (`wippy_channel_receive`): `waiter`, the running task of
    /// `owner`, now waits there exactly as if the Swift receive had found nothing and blocked. Unretained
    /// references only: this runs for every such receive.
    /// Returns 1 when the process has nothing else to run: the switch (below) may then leave it at once.
    /// C armed the hand-off already (its open queue rules out topics, bus events, a workflow and other
    /// waiters: see ``openQueueIfClear()``), so the task is only parked in the channel.
    static let parkInInbox: LuaMailboxes.Park = { owner, waiter, channel in
        Unmanaged<LuaProcess>.fromOpaque(owner!)._withUnsafeGuaranteedRef { process in
            Unmanaged<LuaTask>.fromOpaque(waiter!)._withUnsafeGuaranteedRef { task in
                Unmanaged<LuaChannel>.fromOpaque(channel!)._withUnsafeGuaranteedRef { channel in
                    let token = task.block()
                    if _fastPath(channel.receivers.isEmpty) {
                        channel.receivers.park(task, token: token)
                    } else {
                        process.joinReceivers(task, token: token, on: channel)
                    }
                }
                // what the run loop does for a task that blocked (the switch skips it)
                task.preemptionsInARow = 0
            }
            return process.readyQueue.isEmpty && !process.mustStop ? 1 : 0
        }
    }

    /// A receive that blocked in C finds another waiter on the inbox after all (cannot happen while the queue
    /// is open): it waits as the Swift receive would, and C may not hand off. Out of line: the park stays small.
    @inline(never)
    private func joinReceivers(_ task: LuaTask, token: UInt64, on channel: LuaChannel) {
        record?.waiting = nil
        closeQueue()
        channel.receivers.append(LuaChannel.Waiter(task: task, token: token, caseIndex: 0, value: .none))
    }

    // MARK: - The switch

    /// How many processes one resume may switch through (`wippy_mailboxes_resume`) before the worker looks
    /// at its inbox, timers and events again.
    static let switchHops: Int32 = 32

    /// The C hand-off woke the inbox's only waiter while the running process may switch to it: as
    /// ``wakeAfterHandOff``, but when the process may run next (nothing else waits on the worker, it has no
    /// other ready task) the task is made ready in no queue and the process is not scheduled (1):
    /// `wippy_mailboxes_resume` runs the task straight after the sender blocks (``beginSwitch``), or queues
    /// it (``flushDeferred``). Else it is woken and scheduled as usual (0). No queue, no reference counting.
    static let deferWake: LuaMailboxes.Defer = { owner, waiter, channel in
        Unmanaged<LuaChannel>.fromOpaque(channel!)._withUnsafeGuaranteedRef { $0.receivers.dropSoleWaiter() }
        return Unmanaged<LuaProcess>.fromOpaque(owner!)._withUnsafeGuaranteedRef { process in
            Unmanaged<LuaTask>.fromOpaque(waiter!)._withUnsafeGuaranteedRef { task in
                Unmanaged.passUnretained(process.cell)._withUnsafeGuaranteedRef { cell in
                    Unmanaged.passUnretained(cell.worker)._withUnsafeGuaranteedRef { worker in
                        guard task.state == .blocked, process.readyQueue.isEmpty, !process.mustStop, worker.mayRunNext(cell) else {
                            task.wake(arguments: 2)
                            worker.schedule(cell)
                            return 0
                        }
                        // what `wake` does, but the queue (the C hand-off cleared the record's wait already)
                        task.markReady(arguments: 2)
                        return 1
                    }
                }
            }
        }
    }

    /// The switch runs the deferred task now: it becomes the running one (what the run loop does before a
    /// resume). -1 (the task queued, the process scheduled) when it cannot run now.
    static let beginSwitch: LuaMailboxes.Begin = { owner, waiter, thread in
        Unmanaged<LuaProcess>.fromOpaque(owner!)._withUnsafeGuaranteedRef { process in
            Unmanaged<LuaTask>.fromOpaque(waiter!)._withUnsafeGuaranteedRef { task in
                Unmanaged.passUnretained(process.cell)._withUnsafeGuaranteedRef { cell in
                    Unmanaged.passUnretained(cell.worker)._withUnsafeGuaranteedRef { worker in
                        guard task.state == .ready, worker.mayRunNow(cell), !process.mustStop else {
                            if task.state == .ready { process.readyQueue.append(task) }
                            worker.schedule(cell)
                            return -1
                        }
                        task.state = .running
                        let count = task.resumeArguments
                        task.resumeArguments = 0
                        thread!.pointee = task.thread.pointer
                        return count
                    }
                }
            }
        }
    }

    /// The ghost switch (`wippy_mailboxes_resume`): whether nothing else waits on the worker (the context is
    /// the worker, unretained). Touches only the worker, which is hot: the point of a ghost is not to touch
    /// the receiver's objects.
    static let workerIsClear: LuaMailboxes.Clear = { context in
        Unmanaged<Worker>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.nothingElseWaits ? 1 : 0 }
    }

    /// A ghost task (run by the switch while the runtime still saw it parked in its inbox receive) becomes the
    /// running task: what ``deferWake`` and ``beginSwitch`` would have done, at once (it is running already).
    static let adoptGhost: LuaMailboxes.Adopt = { owner, waiter, channel in
        Unmanaged<LuaChannel>.fromOpaque(channel!)._withUnsafeGuaranteedRef { $0.receivers.dropSoleWaiter() }
        Unmanaged<LuaTask>.fromOpaque(waiter!)._withUnsafeGuaranteedRef { task in
            assert(task.state == .blocked, "a ghost is parked as the runtime sees it")
            task.markReady(arguments: 0)
            task.state = .running
        }
    }

    /// A deferred task the switch does not run after all: queued, and its process scheduled.
    static let flushDeferred: LuaMailboxes.Flush = { owner, waiter in
        Unmanaged<LuaProcess>.fromOpaque(owner!)._withUnsafeGuaranteedRef { process in
            Unmanaged<LuaTask>.fromOpaque(waiter!)._withUnsafeGuaranteedRef { task in
                if task.state == .ready { process.readyQueue.append(task) }
            }
            Unmanaged.passUnretained(process.cell)._withUnsafeGuaranteedRef { cell in
                Unmanaged.passUnretained(cell.worker)._withUnsafeGuaranteedRef { $0.schedule(cell) }
            }
        }
    }

    /// A process without a record sends in C (`wippy_process_send`): its messages are labelled with the
    /// text of its PID up to the counter, and the counter; `msg:from()` makes the whole text if asked. So a
    /// one-shot child's report to a waiting parent of its worker takes the C hand-off too.
    static let labelSender: LuaMailboxes.Label = { owner, state in
        Unmanaged<LuaProcess>.fromOpaque(owner!)._withUnsafeGuaranteedRef { process in
            // The cell's PID is read in place, not copied: a copy retains and releases its two strings, and
            // a one-shot child labels its one message here.
            Unmanaged.passUnretained(process.cell)._withUnsafeGuaranteedRef { cell in
                let uniq = cell.pid.uniq
                guard uniq != 0, uniq & WorkflowIdentity.bit == 0 else { return 0 }
                Unmanaged.passUnretained(process.workerState)._withUnsafeGuaranteedRef { workerState in
                    workerState.pidCache.pushPrefix(of: cell, on: Lua(state!), main: workerState.lua)
                }
                return uniq
            }
        }
    }

    // MARK: - The C queue

    /// Opens the record's C queue when nothing could be missed by it (see `wippy_mailbox.c`): not a workflow,
    /// no `listen` topics or bus subscriptions, nothing in the mailbox (every message C queues is then older
    /// than whatever reaches it later), and no waiter on the inbox that C could not wake (a select, a second
    /// task). Called when the process stops running and before a delivery from elsewhere joins the C queue
    /// (``queueInC(_:)``); one load when the queue is open already.
    @inline(__always)
    func openQueueIfClear() {
        guard let record, !record.queueOpen else { return }
        openQueue(record)
    }

    private func openQueue(_ record: LuaMailboxes.Record) {
        guard workflow == nil, !hasTopics, !mayReceiveBusEvents, cell.mailbox.isEmpty else { return }
        if let inbox = inboxSubscription {
            inbox.pruneReceivers()
            // the armed waiter of a plain receive is the C hand-off's; any other would miss a queued message
            if !inbox.receivers.isEmpty && record.waiting == nil { return }
        }
        record.queueOpen = true
    }

    /// Closes the C queue: a message reached the mailbox, or a waiter C could not wake appeared.
    @inline(__always)
    func closeQueue() {
        if let record, record.queueOpen { record.queueOpen = false }
    }

    /// Closes the C queue and moves what it holds to the front of the mailbox, as messages, in order: for a
    /// `listen` topic or a bus subscription, which must see them as if they had never left the mailbox.
    func spillQueuedMessages() {
        guard let record else { return }
        record.queueOpen = false
        guard record.hasQueued else { return }
        var items: [MailboxItem] = []
        let mailboxes = workerState.mailboxes
        _ = lua.ensureStack(4)
        while mailboxes.take(record, on: lua) {
            items.append(.message(Self.queuedMessage(at: lua.top, on: lua, state: workerState)))
            lua.pop()
        }
        cell.prependToMailbox(contentsOf: items)
        syncMailboxBytes()
    }

    /// The Swift message of a message object C queued (a topic, the sender's PID text, no payload or one
    /// plain one: these always convert).
    private static func queuedMessage(at index: Int32, on lua: Lua, state: LuaWorkerState) -> Message {
        let block = lua.taggedUserdata(at: index, .message)
        let count = block?.load(as: Int32.self) ?? 0
        lua.getUserValue(index, 1)
        let topic = lua.string(at: -1) ?? ""
        lua.pop()
        lua.getUserValue(index, 2)
        var from: PID?
        if let block, lua.rawLength(at: index) >= 24, block.load(fromByteOffset: 4, as: Int32.self) != 0 {
            // A sender left unformatted (`wippy_message.c`: a 24-byte block says so): the text up to the
            // counter, and the counter.
            from = lua.string(at: -1).flatMap { PID(parsing: $0 + "0}") }
            from?.uniq = block.load(fromByteOffset: 8, as: UInt64.self)
        } else {
            from = lua.string(at: -1).flatMap { PID(parsing: $0) }
        }
        lua.pop()
        var payloads: [Payload] = []
        if count > 0 {
            lua.getUserValue(index, 3)
            if let payload = try? LuaValueConverter.export(at: -1, in: lua, state: state) { payloads.append(payload) }
            lua.pop()
        }
        return Message(from: from, topic: topic, payloads: payloads)
    }
}
