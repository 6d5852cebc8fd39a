import WippyCore
import WippyLua

/// Start arguments of children spawned onto this worker, kept as Lua values until each child starts.
///
/// A worker runs all its processes in one Lua state, so a child placed on the spawning process's own worker
/// can be handed the argument values themselves instead of copies made through Swift (text, `Payload`, text
/// again). Only values whose sharing nobody can observe qualify (``canKeep(_:on:)``): nil, booleans, numbers
/// and short strings, which Lua interns, so a copy would be the very same object anyway.
///
/// The values wait in one table of the worker, a slot per child (the values themselves when there is one,
/// else a table of them), slots reused through a free list; the table is dropped when a burst of children
/// all started. Worker thread only.
struct ArgumentStash {
    /// Where a child's arguments wait; carried by its starter.
    struct Slot: Sendable {
        let index: Int32
        let count: Int32
    }

    private var table = LuaRef.none
    private var free: [Int32] = []
    /// Slots handed out so far (the table's array length).
    private var used: Int32 = 0
    private var held = 0
    /// Children given a slot so far (for tests and measurements).
    private(set) var stored = 0
    /// Slots waiting for their child to start (for tests and measurements).
    var waiting: Int { held }

    /// Values of at most this many bytes are interned strings in Lua 5.4 (`LUAI_MAXSHORTLEN`).
    static let shortStringLength = 40
    /// More arguments than this take the general path.
    static let maximumCount: Int32 = 16
    /// A table that grew past this many slots is not kept once every slot is free again.
    static let retainedSlots: Int32 = 1024

    /// True when the `count` values on top of `lua`'s stack can be kept as they are.
    static func canKeep(_ count: Int32, on lua: Lua) -> Bool {
        guard count > 0, count <= maximumCount else { return false }
        let top = lua.top
        for index in (top - count + 1)...top {
            switch lua.type(at: index) {
            case .nil, .boolean, .number: continue
            case .string where lua.rawLength(at: index) <= shortStringLength: continue
            default: return false
            }
        }
        return true
    }

    /// Pops the `count` values on top of `lua` into a new slot.
    mutating func store(_ count: Int32, from lua: Lua) -> Slot {
        if count > 1 {
            let first = lua.top - count + 1
            lua.newTable(arrayCapacity: count)
            for offset in 0..<count {
                lua.pushValue(at: first + offset)
                lua.rawSet(-2, index: Int64(offset + 1))
            }
            lua.replace(at: first)
            lua.top = first
        }
        if !table.isValid {
            lua.newTable()
            table = lua.ref()
        }
        let index: Int32
        if let reused = free.popLast() {
            index = reused
        } else {
            used += 1
            index = used
        }
        lua.push(table)
        lua.insert(at: -2)
        lua.rawSet(-2, index: Int64(index))
        lua.pop()
        held += 1
        stored += 1
        return Slot(index: index, count: count)
    }

    /// Pushes the values of `slot` on `thread` and frees the slot.
    mutating func take(_ slot: Slot, on thread: Lua) {
        _ = thread.ensureStack(slot.count + 4)
        thread.push(table)
        let stash = thread.top
        thread.rawGet(stash, index: Int64(slot.index))
        thread.pushNil()
        thread.rawSet(stash, index: Int64(slot.index))
        thread.remove(at: stash)
        if slot.count > 1 {
            let packed = thread.top
            for index in 1...slot.count { thread.rawGet(packed, index: Int64(index)) }
            thread.remove(at: packed)
        }
        release(slot, on: thread)
    }

    /// The values of `slot` as payloads, freeing the slot: for a child moved to another worker before it
    /// started (``LuaProcessStarter/relocatable(from:)``). Kept values always convert (``canKeep(_:on:)``),
    /// so they are read by type here, without the general exporter (tables, cycles, errors).
    mutating func takePayloads(_ slot: Slot, on lua: Lua) -> [Payload] {
        let base = lua.top
        take(slot, on: lua)
        var payloads: [Payload] = []
        payloads.reserveCapacity(Int(slot.count))
        for index in (base + 1)...(base + slot.count) {
            switch lua.type(at: index) {
            case .boolean: payloads.append(.bool(lua.bool(at: index)))
            case .number:
                if lua.isInteger(at: index), let value = lua.integer(at: index) {
                    payloads.append(.int(value))
                } else {
                    payloads.append(.double(lua.number(at: index) ?? 0))
                }
            // A large string whose copy the system refuses travels as nil: this path (a child moved to another
            // worker before it started) has no caller left to fail, and aborting would end every process.
            case .string: payloads.append(LuaValueConverter.stringPayload(at: index, in: lua) ?? .null)
            default: payloads.append(.null)
            }
        }
        lua.top = base
        return payloads
    }

    /// Frees the slot of a child that never started.
    mutating func discard(_ slot: Slot, on lua: Lua) {
        lua.push(table)
        lua.pushNil()
        lua.rawSet(-2, index: Int64(slot.index))
        lua.pop()
        release(slot, on: lua)
    }

    private mutating func release(_ slot: Slot, on lua: Lua) {
        held -= 1
        if held == 0 && used > ArgumentStash.retainedSlots {
            lua.unref(table)
            let stored = self.stored
            self = ArgumentStash()
            self.stored = stored
            return
        }
        free.append(slot.index)
    }
}
