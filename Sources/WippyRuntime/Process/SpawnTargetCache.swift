import WippyCore
import WippyLua

/// Per worker: what `process.spawn(id, host, ...)` resolved an id and host to, keyed by the Lua strings
/// themselves (anchored, so their addresses stay theirs), valid for one code generation of the runtime.
///
/// Spawning in a loop then skips parsing `ns:name`, the program table and the host table.
struct SpawnTargetCache {
    struct Target {
        let program: LuaProgram
        let host: ProcessHost
    }

    private struct Entry {
        var host: UnsafeRawPointer
        var target: Target
        var generation: UInt64
        var anchors: (LuaRef, LuaRef)
    }

    private static let capacity = 1024
    private var entries: [UnsafeRawPointer: Entry] = [:]
    /// The entry found last (a spawn loop asks for the same pair again and again): compared by the two
    /// addresses, before hashing into `entries`. Its strings are anchored by that entry, so it is cleared
    /// whenever entries go.
    private var lastID: UnsafeRawPointer?
    private var last: Entry?

    /// The cached target for the id and host strings at `idIndex`/`hostIndex`, if still current.
    mutating func target(id idIndex: Int32, host hostIndex: Int32, in lua: Lua, generation: UInt64) -> Target? {
        guard let id = lua.identity(at: idIndex), let host = lua.identity(at: hostIndex) else { return nil }
        if id == lastID, let last, last.host == host, last.generation == generation { return last.target }
        guard let entry = entries[id], entry.host == host, entry.generation == generation else { return nil }
        lastID = id
        last = entry
        return entry.target
    }

    mutating func remember(
        _ target: Target, id idIndex: Int32, host hostIndex: Int32, in lua: Lua, generation: UInt64, main: Lua
    ) {
        guard let id = lua.identity(at: idIndex), let host = lua.identity(at: hostIndex) else { return }
        lastID = nil
        last = nil
        if let old = entries.removeValue(forKey: id) {
            main.unref(old.anchors.0)
            main.unref(old.anchors.1)
        }
        if entries.count >= SpawnTargetCache.capacity {
            for entry in entries.values {
                main.unref(entry.anchors.0)
                main.unref(entry.anchors.1)
            }
            entries.removeAll(keepingCapacity: true)
        }
        lua.pushValue(at: idIndex)
        let idAnchor = lua.ref()
        lua.pushValue(at: hostIndex)
        let hostAnchor = lua.ref()
        entries[id] = Entry(host: host, target: target, generation: generation, anchors: (idAnchor, hostAnchor))
    }
}
