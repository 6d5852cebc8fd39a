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
            nonmutating set {
                pointer.pointee.waiting = newValue
                pointer.pointee.roomy = 0 // not known to have blocked in C (see `wippy_proc.roomy`)
            }
        }

        /// Whether the task in ``waiting`` parked with nothing else pending in its process, so that the switch
        /// may run it as a ghost (see `wippy_mailboxes_resume`). Cleared when a failure or an upgrade is set
        /// for the process.
        @inline(__always)
        public var solo: Bool {
            get { pointer.pointee.solo != 0 }
            nonmutating set { pointer.pointee.solo = newValue ? 1 : 0 }
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

        /// Sets the inbox: the block of its channel userdata and its channel object (unretained), or nil for
        /// both. With both set, a plain receive on it may also block in C (see ``Park``).
        @inline(__always)
        public func setInbox(_ block: UnsafeRawPointer?, channel: UnsafeMutableRawPointer?) {
            pointer.pointee.inbox = block
            pointer.pointee.inbox_channel = block == nil ? nil : channel
        }

        /// Arms the hand-off: `thread` waits on `channel`; `waiter` and `channel` are what the wake-up
        /// receives.
        @inline(__always)
        public func arm(_ thread: OpaquePointer, waiter: UnsafeMutableRawPointer, channel: UnsafeMutableRawPointer) {
            pointer.pointee.waiting = thread
            pointer.pointee.roomy = 0 // parked by the runtime: its frame may be full (see `wippy_proc.roomy`)
            pointer.pointee.waiter = waiter
            pointer.pointee.channel = channel
        }
    }

    /// Called by the C hand-off with the record's owner once the message and `true` are on the waiting
    /// thread: the owner wakes that task.
    public typealias Wake = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void

    /// Called by a receive that blocks in C with the record's owner, the task that now waits alone in a
    /// plain receive on the owner's inbox and that inbox's channel: the owner records the blocked receive as its own receive would
    /// (the record's hand-off is armed for it already; the owner disarms it if it finds another waiter). Returns 1 when the owner has nothing else to run now (``resume(_:arguments:ticks:hops:)``
    /// may then switch to another process), else 0. It must run no Lua.
    public typealias Park = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32

    /// The switch of ``resume(_:arguments:ticks:hops:)`` (see `wippy_mailboxes_resume`): `Defer` wakes like
    /// ``Wake`` but may leave the task ready in no queue and the owner unscheduled, to run next (1), or wakes
    /// it fully (0); `Begin` makes that task the running one (its thread in the out parameter, the count of
    /// values to resume it with returned) or returns -1 after queueing it and scheduling the owner; `Flush`
    /// queues a deferred task that is not switched to and schedules its owner. None may run Lua.
    public typealias Defer = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int32
    public typealias Begin = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
    public typealias Flush = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void
    /// The ghost switch (see `wippy_mailboxes_resume`): `Clear` says whether nothing else waits on the worker
    /// (its argument is the context given to ``setGhosts(clear:context:adopt:)``); `Adopt` makes a ghost task
    /// (owner, task, the inbox channel the runtime still sees it parked on) the running one. Neither may run Lua.
    public typealias Clear = @convention(c) (UnsafeMutableRawPointer?) -> Int32
    public typealias Adopt = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void

    /// Called by `process.send` in C for a running process without a record (``setRunning(_:owner:)``): pushes
    /// the text of its PID up to the counter on the given thread and returns the counter (0, nothing pushed:
    /// not such a PID). It must only push.
    public typealias Label = @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?) -> UInt64

    private let pointer: OpaquePointer

    public init(lua: Lua, messageTag: UInt32, wake: Wake, park: Park, label: Label) {
        guard let made = wippy_mailboxes_new(lua.pointer, messageTag, wake, park, label) else {
            fatalError("out of memory for the worker's mailbox table")
        }
        pointer = made
    }

    /// Sets the functions of the switch (without them, ``resume(_:arguments:ticks:hops:)`` never switches).
    public func setSwitch(defer: Defer, begin: Begin, flush: Flush) {
        wippy_mailboxes_set_switch(pointer, `defer`, begin, flush)
    }

    /// Switches to a ghost so far (for tests and measurements).
    public var ghostSwitches: UInt64 { wippy_mailboxes_ghost_switches(pointer) }

    /// Sets the functions of the ghost switch (without them every switch tells the runtime at each hop).
    public func setGhosts(clear: Clear, context: UnsafeMutableRawPointer, adopt: Adopt) {
        wippy_mailboxes_set_ghosts(pointer, clear, context, adopt)
    }

    /// Resumes `thread` (a task's thread of the running process) as ``Lua/resumeTask(arguments:)`` does, but
    /// when it blocks in a plain receive in C while its C hand-off woke a process the runtime lets run next,
    /// goes on with that process's task right here, up to `hops` times. Returns the status and results of
    /// the last resume and the thread they are of (`ran`: another process's after a switch).
    @inline(__always)
    public func resume(_ thread: Lua, arguments: Int32, ticks: Int32, hops: Int32) -> (status: Int32, results: Int32, ran: OpaquePointer) {
        var results: Int32 = 0
        var ran: OpaquePointer? = nil
        let status = wippy_mailboxes_resume(pointer, thread.pointer, arguments, &results, &ran, ticks, hops)
        return (status, results, ran ?? thread.pointer)
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

    /// Tells the C side which process runs now: its record, or for a process without one its `owner` (what
    /// ``Label`` receives); both nil: none, or one that must take the Swift path.
    @inline(__always)
    public func setRunning(_ record: Record?, owner: UnsafeMutableRawPointer?) {
        wippy_mailboxes_set_running(pointer, record?.pointer, owner)
    }

    /// Pushes `process.send`: the C hand-off in front of `fallback`, which handles every other case.
    public func pushSend(fallback: LuaNativeFunction, on lua: Lua) { wippy_push_process_send(lua.pointer, pointer, fallback) }

    /// Pushes the channels' `receive`: a message queued in C for the running process's inbox, in front of
    /// `fallback`, which handles every other case.
    public func pushReceive(fallback: LuaNativeFunction, on lua: Lua) {
        wippy_push_channel_receive(lua.pointer, pointer, fallback)
    }
}
