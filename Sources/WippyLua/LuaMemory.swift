import CLua

/// A memory account in a state: the blocks one process owns. ``worker`` is the state's own account (code
/// caches, module tables, anything made while no process runs), which has no limit.
public struct LuaAccount: Hashable, Sendable {
    public let tag: UInt32
    public static let worker = LuaAccount(tag: 0)
    public var isWorker: Bool { tag == 0 }
}

/// The figures of one account.
public struct LuaAccountUsage: Sendable, Equatable {
    /// Bytes the account holds: its Lua objects, live or not yet collected, plus ``queuedBytes``.
    public var bytes: Int
    /// Bytes of the process's mailbox (estimated by the runtime), part of ``bytes``.
    public var queuedBytes: Int
    /// Its limit; nil when it has none.
    public var limit: Int?
    /// Over its limit after a collection (or refused by the system): its process is being ended.
    public var isDoomed: Bool
    /// Doomed because the system refused memory, not for its limit.
    public var systemRefused: Bool
    /// The system refused it memory at least once.
    public var starved: Bool
}

/// The allocator record of a ``LuaState``: its totals and the accounts of the processes living in it. Confined
/// to the state's thread, like the state.
///
/// How a limit is enforced (see `wippy_lua.h` for the details):
/// - an account that grows past its check is flagged; at the next safe point the collector runs (young, then
///   full if needed) and an account still over its limit is *doomed*;
/// - a doomed account of the running process dooms it (``LuaState/doom(_:thread:)``): it stops at its next VM
///   instruction; other doomed accounts are handed to the runtime through ``takeDoomed()``;
/// - while only Lua and C code runs, a growth past 1.5 times the limit is refused (Lua raises its memory
///   error in C code) and a second refusal after Lua's emergency collection dooms the account. With Swift code
///   on the stack nothing is ever refused.
public struct LuaMemory {
    let pointer: UnsafeMutablePointer<wippy_memory>

    init(_ pointer: UnsafeMutablePointer<wippy_memory>) { self.pointer = pointer }

    // MARK: - Totals

    /// Bytes currently allocated by Lua in the state.
    public var totalBytes: Int { Int(pointer.pointee.bytes) }
    /// Highest value of ``totalBytes`` so far.
    public var peakBytes: Int { Int(pointer.pointee.peak) }
    /// Address space mapped by the state's small-object heap.
    public var heapMappedBytes: Int { Int(wippy_heap_mapped_bytes(pointer)) }
    /// Checks run, collections they made, and accounts doomed, since the state was made.
    public var checks: Int { Int(pointer.pointee.checks) }
    public var collections: Int { Int(pointer.pointee.collections) }
    public var kills: Int { Int(pointer.pointee.kills) }

    // MARK: - Accounts

    /// Opens an account with `limit` bytes (nil: none) for `owner`, which ``takeDoomed()`` returns when the
    /// account is doomed. Returns ``LuaAccount/worker`` when the state has no slot left (4M accounts).
    public func open(limit: Int?, owner: UnsafeMutableRawPointer?) -> LuaAccount {
        LuaAccount(tag: wippy_account_open(pointer, Int64(limit ?? 0), owner))
    }

    /// Closes an account; frees of its blocks that come later are ignored.
    public func close(_ account: LuaAccount) { wippy_account_close(pointer, account.tag) }

    /// Charges new blocks to `account`; returns the account charged before (to put back).
    @inline(__always) @discardableResult
    public func charge(_ account: LuaAccount) -> LuaAccount {
        LuaAccount(tag: wippy_account_charge(pointer, account.tag))
    }

    /// The process with `account` runs (``LuaAccount/worker``: none does).
    @inline(__always)
    public func run(_ account: LuaAccount) { wippy_account_run(pointer, account.tag) }

    /// Changes the limit of `account` (nil: none).
    public func setLimit(_ limit: Int?, for account: LuaAccount) {
        wippy_account_set_limit(pointer, account.tag, Int64(limit ?? 0))
    }

    /// Sets the bytes queued for the account's process outside Lua (its mailbox).
    @inline(__always)
    public func setQueued(_ bytes: Int, for account: LuaAccount) {
        wippy_account_set_queued(pointer, account.tag, Int64(bytes))
    }

    /// The figures of an open account.
    public func usage(of account: LuaAccount) -> LuaAccountUsage? {
        guard let a = wippy_account_get(pointer, account.tag) else { return nil }
        let flags = a.pointee.flags
        return LuaAccountUsage(
            bytes: Int(a.pointee.bytes), queuedBytes: Int(a.pointee.queued),
            limit: a.pointee.limit > 0 ? Int(a.pointee.limit) : nil,
            isDoomed: flags & WIPPY_ACCOUNT_DOOMED != 0, systemRefused: flags & WIPPY_ACCOUNT_SYSTEM != 0,
            starved: flags & WIPPY_ACCOUNT_STARVED != 0)
    }

    /// True when the account is doomed.
    @inline(__always)
    public func isDoomed(_ account: LuaAccount) -> Bool {
        guard let a = wippy_account_get(pointer, account.tag) else { return false }
        return a.pointee.flags & WIPPY_ACCOUNT_DOOMED != 0
    }

    // MARK: - Safe points

    /// Accounts were flagged for a check since the last one.
    public var hasPendingChecks: Bool { pointer.pointee.pending_count > 0 }

    /// A check is due, a doomed account waits to be taken, or the running process is doomed.
    @inline(__always)
    public var needsAttention: Bool { wippy_memory_needs_attention(pointer) != 0 }

    /// Runs the flagged checks (collecting garbage as needed) with `lua` (any thread of the state; never from
    /// inside the allocator). Returns true when the running process's account is doomed.
    @discardableResult
    public func check(on lua: Lua) -> Bool { wippy_memory_check(lua.pointer) != 0 }

    /// The owner of a doomed account not yet taken, or nil.
    public func takeDoomed() -> UnsafeMutableRawPointer? { wippy_memory_take_doomed(pointer) }

    /// After the system refused memory (or always, with `force`): collects everything (with `lua`, any thread
    /// of the state) and takes back the emergency reserve.
    public func recover(on lua: Lua, force: Bool = false) { wippy_memory_recover(lua.pointer, force ? 1 : 0) }

    /// The system refused memory since the last ``recover(on:force:)``, or the emergency reserve could not be
    /// taken back since.
    public var isStarved: Bool { pointer.pointee.starved != 0 || pointer.pointee.reserve == nil }
}

extension Lua {
    /// Gives this thread the state's normal count hook again (after a doom or a check armed it).
    public func resetHook() { wippy_reset_hook(pointer) }

    /// Whether the system will give a Swift copy of `bytes` bytes made next on this thread (see
    /// `wippy_memory_room`): false when it refused the memory even after the state gave back its emergency
    /// reserve. Swift aborts the program on a refused allocation, so large copies ask first.
    public func hasRoom(forCopyOf bytes: Int) -> Bool { wippy_memory_room(pointer, bytes) != 0 }
}
