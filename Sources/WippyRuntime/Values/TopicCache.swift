import WippyLua

/// Lua strings of recently delivered long topics, per worker: Lua makes a new string object for every push of
/// a text longer than ``shortLength`` bytes, and most processes use a handful of topics, so the receiver
/// pushes an existing string instead. Shorter topics go straight to Lua, which interns them: its hash and
/// lookup of a short text cost less than this cache's own hash and compare.
struct TopicCache {
    private struct Slot {
        var topic = ""
        var ref = LuaRef.none
    }

    private static let size = 32
    /// Lua's longest interned string (`LUAI_MAXSHORTLEN` in its private `llimits.h`).
    static let shortLength = 40
    private var slots = [Slot](repeating: Slot(), count: TopicCache.size)

    mutating func push(_ topic: String, on target: Lua, main: Lua) {
        if topic.utf8.count <= TopicCache.shortLength {
            target.push(topic)
            return
        }
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
