import WippyCore
import WippyLua

/// Per worker: the live process a destination string last resolved to, keyed by the Lua string itself.
///
/// A key is the address of an interned Lua string, kept alive by a registry reference so the address cannot
/// be reused by another string while its slot holds it. The cache is direct-mapped (one slot per address
/// hash, a newcomer evicts the holder): a lookup is one load and two compares. A hit is checked against the
/// cell's exited flag, so a finished process is never returned.
struct DestinationCache {
    private struct Slot {
        var key: UnsafeRawPointer?
        var cell: ProcessCell?
        var anchor = LuaRef.none
    }

    private static let size = 4096
    private var slots = [Slot](repeating: Slot(), count: DestinationCache.size)

    @inline(__always)
    private static func slot(for key: UnsafeRawPointer) -> Int {
        let bits = UInt(bitPattern: key)
        return Int(truncatingIfNeeded: (bits >> 4) ^ (bits >> 16)) & (size - 1)
    }

    /// The cell for the string at `index` of `lua`, if cached and still alive.
    @inline(__always)
    func cell(forStringAt index: Int32, in lua: Lua) -> ProcessCell? {
        guard let key = lua.identity(at: index) else { return nil }
        return slots.withUnsafeBufferPointer { slots -> ProcessCell? in
            let slot = slots[DestinationCache.slot(for: key)]
            guard slot.key == key, let cell = slot.cell, !cell.hasExited else { return nil }
            return cell
        }
    }

    /// Remembers that the string at `index` names `cell`.
    mutating func remember(_ cell: ProcessCell, forStringAt index: Int32, in lua: Lua, main: Lua) {
        guard let key = lua.identity(at: index) else { return }
        let position = DestinationCache.slot(for: key)
        if slots[position].key == key {
            slots[position].cell = cell
            return
        }
        if slots[position].anchor.isValid { main.unref(slots[position].anchor) }
        lua.pushValue(at: index)
        slots[position] = Slot(key: key, cell: cell, anchor: lua.ref())
    }

    mutating func clear(main: Lua) {
        for position in slots.indices where slots[position].anchor.isValid {
            main.unref(slots[position].anchor)
            slots[position] = Slot()
        }
    }
}
