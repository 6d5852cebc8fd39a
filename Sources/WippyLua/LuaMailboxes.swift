import CLua

/// The C side of same-worker messaging (`wippy_mailbox.c`): per worker, a table from PID text to a small
/// record per process, which lets `process.send` hand a message to a process of the same worker that waits
/// in a plain receive without any Swift code but the wake-up.
///
/// Worker-confined, like the state it belongs to. A plain value (no reference counting on the paths that
/// run per message); its owner frees it with ``free()`` after closing the state.
public struct LuaMailboxes {
    /// The C record of one process (see ``LuaMailboxes``).
    public struct Record {
        let raw: UnsafeMutableRawPointer
        var pointer: UnsafeMutablePointer<wippy_proc> { raw.assumingMemoryBound(to: wippy_proc.self) }

        /// The thread of the process's task waiting in a plain receive on its inbox, or nil.
        @inline(__always)
        public var waiting: OpaquePointer? {
            get { pointer.pointee.waiting }
            nonmutating set { pointer.pointee.waiting = newValue }
        }

        /// Whether `process.send` may queue in C for this process while it does not wait (see
        /// `wippy_proc.queue_open`).
        @inline(__always)
        public var queueOpen: Bool {
            get { pointer.pointee.queue_open != 0 }
            nonmutating set { pointer.pointee.queue_open = newValue ? 1 : 0 }
        }

        /// True when messages queued in C wait for the process.
        @inline(__always)
        public var hasQueued: Bool { pointer.pointee.head != pointer.pointee.tail }

        /// The block of the process's inbox channel userdata, or nil: `receive` on it takes a message queued in
        /// C without the Swift native.
        @inline(__always)
        public var inbox: UnsafeRawPointer? {
            get { pointer.pointee.inbox }
            nonmutating set { pointer.pointee.inbox = newValue }
        }

        /// Arms the hand-off: `thread` waits on `channel`; `waiter` and `channel` are what the wake-up
        /// receives.
        @inline(__always)
        public func arm(_ thread: OpaquePointer, waiter: UnsafeMutableRawPointer, channel: UnsafeMutableRawPointer) {
            pointer.pointee.waiting = thread
            pointer.pointee.waiter = waiter
            pointer.pointee.channel = channel
        }
    }

    /// Called by the C hand-off with the record's owner once the message and `true` are on the waiting
    /// thread: the owner wakes that task.
    public typealias Wake = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void

    private let pointer: OpaquePointer

    public init(lua: Lua, messageTag: UInt32, wake: Wake) {
        guard let made = wippy_mailboxes_new(lua.pointer, messageTag, wake) else {
            fatalError("out of memory for the worker's mailbox table")
        }
        pointer = made
    }

    /// The metatable of message objects (a registry reference the caller keeps).
    public func setMessageMetatable(_ metatable: LuaRef) { wippy_mailboxes_set_metatable(pointer, metatable.raw) }

    public func free() { wippy_mailboxes_free(pointer) }

    /// Adds the record of a live process, keyed by its PID text: the string on top of `lua` (popped; the
    /// record keeps it). `owner` is what the wake-up receives. Nil when out of memory.
    public func add(pidOnTopOf lua: Lua, account: LuaAccount, owner: UnsafeMutableRawPointer) -> Record? {
        wippy_mailboxes_add(pointer, lua.pointer, account.tag, owner).map { Record(raw: UnsafeMutableRawPointer($0)) }
    }

    /// Pushes the oldest message queued in C for `record` on `lua`; false (nothing pushed) when none.
    @inline(__always)
    public func take(_ record: Record, on lua: Lua) -> Bool { wippy_mailboxes_take(record.pointer, lua.pointer) != 0 }

    public func remove(_ record: Record, on lua: Lua) { wippy_mailboxes_remove(pointer, lua.pointer, record.pointer) }

    /// Tells the C side which process runs now (nil: none, or one that must take the Swift path).
    @inline(__always)
    public func setRunning(_ record: Record?) { wippy_mailboxes_set_running(pointer, record?.pointer) }

    /// Pushes `process.send`: the C hand-off in front of `fallback`, which handles every other case.
    public func pushSend(fallback: LuaNativeFunction, on lua: Lua) { wippy_push_process_send(lua.pointer, pointer, fallback) }

    /// Pushes the channels' `receive`: a message queued in C for the running process's inbox, in front of
    /// `fallback`, which handles every other case.
    public func pushReceive(fallback: LuaNativeFunction, on lua: Lua) {
        wippy_push_channel_receive(lua.pointer, pointer, fallback)
    }
}
