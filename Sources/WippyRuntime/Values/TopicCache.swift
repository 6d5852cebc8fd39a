import WippyLua

/// Lua strings of recently delivered topics, per worker: most processes use a handful of topics, so the
/// receiver pushes an existing string instead of hashing the topic into Lua's string table again.
struct TopicCache {
    private struct Slot {
        var topic = ""
        var ref = LuaRef.none
    }

    private static let size = 32
    private var slots = [Slot](repeating: Slot(), count: TopicCache.size)

    mutating func push(_ topic: String, on target: Lua, main: Lua) {
        let index = TopicCache.index(topic)
        if slots[index].ref.isValid, slots[index].topic == topic {
            target.push(slots[index].ref)
            return
        }
        target.push(topic)
        target.pushValue(at: -1)
        let ref = target.ref()
        if slots[index].ref.isValid { main.unref(slots[index].ref) }
        slots[index] = Slot(topic: topic, ref: ref)
    }

    /// FNV-1a over the first 16 bytes and the length.
    @inline(__always)
    private static func index(_ topic: String) -> Int {
        var hash: UInt32 = 2_166_136_261
        var taken = 0
        for byte in topic.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
            taken += 1
            if taken == 16 { break }
        }
        hash = (hash ^ UInt32(truncatingIfNeeded: topic.utf8.count)) &* 16_777_619
        return Int(hash >> 8) & (size - 1)
    }
}
