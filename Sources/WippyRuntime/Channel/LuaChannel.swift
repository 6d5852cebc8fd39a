import DequeModule
import WippyLua

/// A Go-style channel between the tasks of one process.
///
/// Values stay Lua values (no copying: tasks of a process share one Lua state). Buffered values and values
/// of blocked senders are anchored in the registry. A channel may be *mailbox-backed* (`process.inbox()`,
/// `process.events()`, `process.listen(topic)`): receiving then pulls the next matching item out of the
/// process mailbox, converting it to Lua only at that moment.
public final class LuaChannel {
    /// A task waiting on this channel, in a plain receive/send or as one case of a select.
    struct Waiter {
        let task: LuaTask
        let token: UInt64
        /// Case index (1-based) when waiting in a select, 0 for a plain operation.
        let caseIndex: Int32
        /// The value a blocked sender offers.
        let value: LuaRef
    }

    public enum Source: Equatable {
        case inbox
        case events
        case topic(String)
        /// An `events.subscribe` subscription (its ID).
        case bus(UInt64)
    }

    // Stored properties are ordered to pack the object tightly (every process has an inbox channel).

    /// The process that created the channel (its serial on the worker) and the worker's main thread, used to
    /// release anchored values when the channel is collected.
    let lua: Lua
    let ownerSerial: UInt64
    var buffer = Deque<LuaRef>()
    var receivers = WaiterQueue()
    var senders = Deque<Waiter>()
    /// Set for mailbox-backed channels.
    public let source: Source?
    private let storedCapacity: Int32
    public internal(set) var isClosed = false
    /// For `listen` channels: deliver Message objects instead of raw values.
    let deliversMessages: Bool

    /// Buffer size (0: unbuffered).
    public var capacity: Int { Int(storedCapacity) }

    public init(capacity: Int, owner: LuaProcess, source: Source? = nil, deliversMessages: Bool = false) {
        self.storedCapacity = Int32(clamping: max(0, capacity))
        self.source = source
        self.deliversMessages = deliversMessages
        self.ownerSerial = owner.serial
        self.lua = owner.lua
    }

    deinit {
        for ref in buffer { lua.unref(ref) }
        for sender in senders { lua.unref(sender.value) }
    }

    /// Drops waiters whose task moved on (a select that completed elsewhere, a dead task).
    func pruneReceivers() {
        receivers.dropStale()
    }

    func pruneSenders(_ lua: Lua) {
        while let first = senders.first, !first.task.isWaiting(on: first.token) {
            lua.unref(first.value)
            senders.removeFirst()
        }
    }

    /// True when a receive could complete now (buffered value, blocked sender, or closed).
    func canReceive(_ lua: Lua, process: LuaProcess) -> Bool {
        if !buffer.isEmpty { return true }
        pruneSenders(lua)
        if !senders.isEmpty { return true }
        if !isClosed, let source, process.hasMailboxItem(for: source, channel: self) { return true }
        return isClosed
    }

    /// True when a send could complete now (a receiver waiting or room in the buffer), and not closed.
    func canSend() -> Bool {
        if isClosed { return false }
        pruneReceivers()
        return !receivers.isEmpty || buffer.count < capacity
    }
}
