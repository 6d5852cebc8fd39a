import DequeModule
import WippyCore
import WippyLua
#if canImport(Glibc)
import Glibc
#endif

/// Mailbox subscriptions. Items stay in the scheduler's mailbox (as payloads) until a task receives them
/// on the matching channel; only then are they converted to Lua values.
extension LuaProcess {
    // MARK: - Subscriptions

    /// Pushes the channel for `source`, creating the subscription on first use (the same channel each call).
    func pushSubscription(_ source: LuaChannel.Source, messages: Bool = false, on thread: Lua) {
        switch source {
        case .inbox:
            if inbox == nil {
                inbox = makeSubscription(source, messages: true)
                noteInbox()
            }
            thread.push(inbox!.ref)
        case .events:
            if events == nil { events = makeSubscription(source, messages: false) }
            thread.push(events!.ref)
        case .topic(let topic):
            // Messages may now go to a topic channel instead of the inbox: no more C hand-offs to a receive
            // in progress, and what C queued for the inbox must be matched against the topic too.
            record?.waiting = nil
            spillQueuedMessages()
            if topics[topic] == nil { topics[topic] = makeSubscription(source, messages: messages) }
            thread.push(topics[topic]!.ref)
        case .bus:
            thread.pushNil()
        }
    }

    private func makeSubscription(_ source: LuaChannel.Source, messages: Bool) -> (channel: LuaChannel, ref: LuaRef) {
        let channel = LuaChannel(capacity: 0, owner: self, source: source, deliversMessages: messages)
        workerState.push(channel, on: lua)
        return (channel, lua.ref())
    }

    /// Ends a subscription (the channel is closed by the caller).
    func unsubscribe(_ source: LuaChannel.Source) {
        switch source {
        case .inbox:
            if let inbox { lua.unref(inbox.ref) }
            inbox = nil
            record?.setInbox(nil, channel: nil)
        case .events:
            if let events { lua.unref(events.ref) }
            events = nil
        case .topic(let topic):
            if let subscription = topics.removeValue(forKey: topic) { lua.unref(subscription.ref) }
        case .bus(let id):
            closeEventSubscription(id)
        }
    }

    // MARK: - Matching

    @inline(__always)
    private func item(_ item: MailboxItem, matches source: LuaChannel.Source) -> Bool {
        switch (item, source) {
        case (.message(let message), .inbox):
            return (!hasTopics || topics[message.topic] == nil)
                && !(mayReceiveBusEvents && EventForwarder.subscriptionID(of: message) != nil)
        case (.message(let message), .topic(let topic)): return message.topic == topic
        case (.message(let message), .bus(let id)): return EventForwarder.subscriptionID(of: message) == id
        case (.event, .events): return true
        default: return false
        }
    }

    func hasMailboxItem(for source: LuaChannel.Source, channel: LuaChannel) -> Bool {
        if case .inbox = source, let record, record.hasQueued { return true }
        return cell.mailbox.contains { item($0, matches: source) }
    }

    /// Takes the oldest item for `source` out of the mailbox and pushes it as a Lua value on `target`.
    /// Messages C queued come first: they are older than anything in the mailbox (see `wippy_mailbox.c`),
    /// and they are always the inbox's (C queues only while nothing else could want them).
    func pullMailbox(for source: LuaChannel.Source, channel: LuaChannel, into target: Lua) -> Bool {
        if let record, record.hasQueued, case .inbox = source, workerState.mailboxes.take(record, on: target) { return true }
        guard !cell.mailbox.isEmpty, let found = cell.takeFromMailbox(where: { item($0, matches: source) }) else {
            return false
        }
        syncMailboxBytes()
        pushItem(found, for: channel, on: target)
        return true
    }

    /// Looks at an arriving item: a LINK_DOWN from a process no longer linked is dropped, one without
    /// `trap_links` fails the process; an item whose channel
    /// has a task waiting goes straight to that task. Anything else waits in the mailbox.
    ///
    /// A waiting receiver means the mailbox holds nothing for its channel (it would have taken it), so
    /// handing the item over directly keeps arrival order.
    func offerItem(_ item: MailboxItem) -> OfferOutcome {
        let channel: LuaChannel?
        switch item {
        case .event(let event):
            if case .linkDown(let from, _) = event {
                // Unlinked since the LINK_DOWN was sent: it has no effect.
                guard node.takeLinkDown(receiver: pid, from: from) else { return .taken(schedule: false) }
                if !trapLinks {
                    pendingFailure = WippyError("linked process failed", kind: .internal)
                    return .taken(schedule: true)
                }
            }
            channel = events?.channel
        case .message(let message):
            if mayReceiveBusEvents, let id = EventForwarder.subscriptionID(of: message) {
                return offerForwardedEvent(message, id: id)
            }
            channel = !hasTopics ? inboxSubscription : (topics[message.topic]?.channel ?? inboxSubscription)
        }
        guard let channel else { return .declined(schedule: false) }
        channel.pruneReceivers()
        guard let receiver = channel.receivers.popFirst() else { return .declined(schedule: false) }
        pushItem(item, for: channel, on: lua)
        wakeReceiver(receiver, valueFrom: lua, ok: true)
        return .taken(schedule: true)
    }

    // MARK: - Conversion

    /// Pushes a mailbox item as the Lua value its channel delivers.
    func pushItem(_ item: MailboxItem, for channel: LuaChannel, on target: Lua) {
        switch item {
        case .message(let message):
            if case .bus = channel.source {
                pushForwardedEvent(message, on: target)
            } else if case .topic = channel.source, !channel.deliversMessages {
                pushPayloadValues(message.payloads, on: target)
            } else {
                pushMessage(message, on: target)
            }
        case .event(let event):
            pushEvent(event, on: target)
        }
    }

    /// One payload → its value; several → an array of values; none → nil.
    func pushPayloadValues(_ payloads: [Payload], on target: Lua) {
        switch payloads.count {
        case 0: target.pushNil()
        case 1: LuaValueConverter.push(payloads[0], on: target, state: workerState)
        default:
            target.newTable(arrayCapacity: Int32(payloads.count), fieldCapacity: 0)
            for (index, payload) in payloads.enumerated() {
                LuaValueConverter.push(payload, on: target, state: workerState)
                target.rawSet(-2, index: Int64(index + 1))
            }
        }
    }

    /// A Message object: topic, sender and payload data as user values. The sender's text is left for
    /// `msg:from()` to complete (`wippy_message.c`) when this worker has not seen the sender before: the
    /// block then says so and holds the PID's counter.
    func pushMessage(_ message: Message, on target: Lua) {
        // one reference to the worker's state for the whole object: each read of the property retains it
        let state = workerState
        let memory = target.newTaggedUserdata(.message, size: 16, userValues: 3)
        memory.storeBytes(of: Int32(message.payloads.count), as: Int32.self)
        memory.storeBytes(of: Int32(0), toByteOffset: 4, as: Int32.self)
        state.topicCache.push(message.topic, on: target, main: lua)
        target.setUserValue(-2, 1)
        if let from = message.from {
            if from.uniq & WorkflowIdentity.bit != 0 {
                state.pidCache.push(from, on: target, main: lua)
            } else if !state.pidCache.pushIfSeen(from, on: target, main: lua) {
                state.pidCache.pushPrefix(of: from, on: target, main: lua)
                memory.storeBytes(of: Int32(1), toByteOffset: 4, as: Int32.self)
                memory.storeBytes(of: from.uniq, toByteOffset: 8, as: UInt64.self)
            }
        } else {
            target.push("")
        }
        target.setUserValue(-2, 2)
        pushPayloadValues(message.payloads, on: target)
        target.setUserValue(-2, 3)
        state.pushMetatable(.message, on: target)
        target.setMetatable(-2)
    }

    /// A lifecycle event table: `{kind, from, at, result = {value, error}}`, `{kind, from, at, reason}` or
    /// `{kind, from, at, sources}`.
    func pushEvent(_ event: ProcessEvent, on target: Lua) {
        target.newTable(arrayCapacity: 0, fieldCapacity: 4)
        let table = target.top
        target.push(event.kind)
        target.rawSet(table, key: "kind")
        target.push(Int64(time(nil)))
        target.rawSet(table, key: "at")
        switch event {
        case .exit(let from, let result), .linkDown(let from, let result):
            target.push(pid: from)
            target.rawSet(table, key: "from")
            target.newTable(arrayCapacity: 0, fieldCapacity: 2)
            LuaValueConverter.push(result.value, on: target, state: workerState)
            target.rawSet(-2, key: "value")
            if let error = result.error {
                workerState.pushError(error, on: target)
                target.rawSet(-2, key: "error")
            }
            target.rawSet(table, key: "result")
        case .cancel(let from, let reason):
            if let from { target.push(pid: from) } else { target.push("") }
            target.rawSet(table, key: "from")
            target.push(reason)
            target.rawSet(table, key: "reason")
        case .outdated(let sources):
            target.push("")
            target.rawSet(table, key: "from")
            target.newTable(arrayCapacity: Int32(sources.count), fieldCapacity: 0)
            for (index, source) in sources.enumerated() {
                target.push(source)
                target.rawSet(-2, index: Int64(index + 1))
            }
            target.rawSet(table, key: "sources")
        }
    }
}
