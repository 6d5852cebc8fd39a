/// How much a relay (`websocket_relay`, `sse_relay`) queues for one client before it counts the client as
/// not reading: `host.buffer_size` messages (lua-api-io §1.1, the relay's mailbox capacity), and never more
/// than ``maxBytes`` whatever the count, so a few huge messages cannot hold memory either.
///
/// Why dropping and not waiting: the process feeding a relay may feed many clients, and one that does not
/// read must not stall the others; an unbounded queue would only move the backlog into memory.
public enum RelayBacklog {
    /// `host.buffer_size` when the server entry does not set it.
    public static let defaultMessages = 1024
    /// The most bytes queued for one client.
    public static let maxBytes = 16 << 20

    /// Whether a queue of `messages` holding `bytes` is past the bound of `limit` messages.
    static func overflows(messages: Int, bytes: Int, limit: Int) -> Bool {
        messages > limit || bytes > maxBytes
    }

    /// The bound in words, for the warning that names a dropped client.
    static func describe(limit: Int) -> String { "limit \(limit) messages or \(maxBytes) bytes" }
}
