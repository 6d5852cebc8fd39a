import CLua

extension LuaMailboxes {
    /// Queues the message object on top of `lua` (popped) behind what C queued for `record`, charged to its
    /// account: the runtime's delivery of a plain message to a process that does not wait, while its queue is
    /// open (``Record/queueOpen``), so that its receives and later sends to it stay in C.
    @inline(__always)
    public func append(_ record: Record, from lua: Lua) { wippy_mailboxes_append(record.pointer, lua.pointer) }
}
