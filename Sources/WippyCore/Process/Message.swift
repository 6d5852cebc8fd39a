/// A message in a process's mailbox: who sent it, its topic and its payloads (already copied).
///
/// A class so that moving it through queues and mailboxes costs one reference, not a copy of its fields.
public final class Message: Sendable {
    public let from: PID?
    public let topic: String
    public let payloads: [Payload]
    /// About how many bytes the message holds (see ``MailboxItem/estimatedBytes``), worked out once: a queued
    /// message counts toward its receiver's memory limit, and leaving the mailbox takes it off again.
    public let estimatedBytes: Int

    public init(from: PID?, topic: String, payloads: [Payload]) {
        self.from = from
        self.topic = topic
        self.payloads = payloads
        self.estimatedBytes = MailboxItem.estimate(topic: topic, payloads: payloads)
    }
}

/// The reserved topics of the process system.
public enum SystemTopic {
    public static let inbox = "@pid/inbox"
    public static let events = "@pid/events"
}

/// What the mailbox holds: ordinary messages and lifecycle events (delivered on `@pid/events`).
public enum MailboxItem: Sendable {
    case message(Message)
    indirect case event(ProcessEvent)
}
