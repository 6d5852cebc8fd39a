public import WippyCore
import WippyLua

/// One `events.subscribe` subscription of a process: the bus side and the channel its events surface on.
final class ProcessEventSubscription {
    let forwarder: EventForwarder
    let subscription: EventSubscription
    let channel: LuaChannel

    init(forwarder: EventForwarder, subscription: EventSubscription, channel: LuaChannel) {
        self.forwarder = forwarder
        self.subscription = subscription
        self.channel = channel
    }
}

/// Event bus subscriptions (`events.subscribe`): the bus posts matching events to the process mailbox (see
/// ``EventForwarder``), where they wait, in order, until a task receives them from the subscription's
/// mailbox-backed channel; only then are they converted to Lua tables `{system, kind, path, data}`.
/// Subscriptions end with the process (or when it is upgraded).
extension LuaProcess {
    /// Buffer size reported by subscription channels; events beyond it wait in the mailbox (lossless).
    public static let eventChannelCapacity = 64

    /// Subscribes this process to bus events whose system matches `system` and kind matches `kind` (nil:
    /// any); returns the subscription ID and its channel (not yet pushed to Lua).
    public func subscribeEvents(system: String, kind: String?) throws(WippyError) -> (id: UInt64, channel: LuaChannel) {
        let runtime = workerState.runtime
        let forwarder = EventForwarder(cell: cell, systemPattern: system, logger: runtime.logger)
        // Lua patterns follow Wippy's Lua rule: a trailing `*` is a prefix match.
        let subscription = try runtime.bus.subscribe(
            system: EventPattern(system, trailingStarIsPrefix: true),
            kind: EventPattern(kind ?? "", trailingStarIsPrefix: true), receiver: forwarder)
        let channel = LuaChannel(capacity: Self.eventChannelCapacity, owner: self, source: .bus(forwarder.id))
        mayReceiveBusEvents = true
        eventSubscriptions[forwarder.id] = ProcessEventSubscription(
            forwarder: forwarder, subscription: subscription, channel: channel)
        return (forwarder.id, channel)
    }

    /// Events the bus dropped for subscription `id` because the process did not keep up; nil once closed.
    public func droppedEvents(_ id: UInt64) -> Int? {
        eventSubscriptions[id]?.subscription.dropped
    }

    /// Ends subscription `id` (no effect if already ended): unsubscribes, closes its channel and drops its
    /// events still waiting in the mailbox.
    public func closeEventSubscription(_ id: UInt64) {
        guard hasEventSubscriptions, let subscription = eventSubscriptions.removeValue(forKey: id) else { return }
        workerState.runtime.bus.unsubscribe(subscription.subscription)
        close(subscription.channel)
        cell.removeFromMailbox { item in
            guard case .message(let message) = item else { return false }
            return EventForwarder.subscriptionID(of: message) == id
        }
    }

    /// Ends every subscription (the process ends or is replaced).
    func endEventSubscriptions() {
        guard hasEventSubscriptions else { return }
        let bus = workerState.runtime.bus
        for (_, subscription) in eventSubscriptions { bus.unsubscribe(subscription.subscription) }
        eventSubscriptions = [:]
        cell.removeFromMailbox { item in
            guard case .message(let message) = item else { return false }
            return EventForwarder.subscriptionID(of: message) != nil
        }
    }

    /// A forwarded event arrives: straight to a task waiting on its channel, else into the mailbox; an event
    /// of a subscription that has ended is dropped.
    func offerForwardedEvent(_ message: Message, id: UInt64) -> OfferOutcome {
        guard hasEventSubscriptions, let subscription = eventSubscriptions[id] else { return .taken(schedule: false) }
        let channel = subscription.channel
        channel.pruneReceivers()
        guard let receiver = channel.receivers.popFirst() else { return .declined(schedule: false) }
        pushForwardedEvent(message, on: lua)
        wakeReceiver(receiver, valueFrom: lua, ok: true)
        return .taken(schedule: true)
    }

    /// Pushes a forwarded event as the table `{system, kind, path, data}`; it no longer counts as pending.
    func pushForwardedEvent(_ message: Message, on target: Lua) {
        let payloads = message.payloads
        if let id = EventForwarder.subscriptionID(of: message), hasEventSubscriptions {
            eventSubscriptions[id]?.forwarder.taken()
        }
        target.newTable(arrayCapacity: 0, fieldCapacity: 4)
        for (index, key) in ["system", "kind", "path"].enumerated() {
            LuaValueConverter.push(payloads[index + 1], on: target, state: workerState)
            target.rawSet(-2, key: key)
        }
        if payloads.count > 4, !payloads[4].isNull {
            LuaValueConverter.push(payloads[4], on: target, state: workerState)
            target.rawSet(-2, key: "data")
        }
    }
}
