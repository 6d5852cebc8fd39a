import WippyCore
import WippyLua

/// Per worker: the live process a destination string last resolved to, keyed by the Lua string itself.
///
/// A key is the address of an interned Lua string, kept alive by a registry reference so the address cannot
/// be reused by another string while the entry exists. A hit is checked against the cell's exited flag, so
/// a finished process is never returned. The table is dropped wholesale when it grows past `capacity`.
struct DestinationCache {
    private struct Entry {
        var cell: ProcessCell
        var anchor: LuaRef
    }

    private static let capacity = 8192
    private var entries: [UnsafeRawPointer: Entry] = [:]

    /// The cell for the string at `index` of `lua`, if cached and still alive.
    @inline(__always)
    func cell(forStringAt index: Int32, in lua: Lua) -> ProcessCell? {
        guard let key = lua.identity(at: index), let entry = entries[key], !entry.cell.hasExited else { return nil }
        return entry.cell
    }

    /// Remembers that the string at `index` names `cell`.
    mutating func remember(_ cell: ProcessCell, forStringAt index: Int32, in lua: Lua, main: Lua) {
        guard let key = lua.identity(at: index) else { return }
        if let old = entries[key] {
            entries[key] = Entry(cell: cell, anchor: old.anchor)
            return
        }
        if entries.count >= DestinationCache.capacity { clear(main: main) }
        lua.pushValue(at: index)
        entries[key] = Entry(cell: cell, anchor: lua.ref())
    }

    mutating func clear(main: Lua) {
        for entry in entries.values { main.unref(entry.anchor) }
        entries.removeAll(keepingCapacity: true)
    }
}
