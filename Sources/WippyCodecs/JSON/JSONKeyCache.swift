/// A small direct-mapped cache of object keys, so that a key repeated across the records of a document becomes one
/// shared `String` instead of being created and validated again each time.
///
/// Entries are found by FNV-1a hash and always confirmed by comparing bytes, so a collision only costs a miss.
struct JSONKeyCache {
    private static let slotCount = 256
    /// Allocated on first use, so that documents without objects pay nothing.
    private var hashes: [UInt64] = []
    private var keys: [String] = []

    /// 64-bit FNV-1a of `bytes`.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    /// 64-bit FNV-1a of the UTF-8 bytes of `text`.
    static func hash(_ text: String) -> UInt64 {
        if let hash = text.utf8.withContiguousStorageIfAvailable({ hash($0) }) { return hash }
        var copy = text
        return copy.withUTF8 { hash($0) }
    }

    /// The cached key whose bytes are `bytes`, if any.
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>, hash: UInt64) -> String? {
        guard !hashes.isEmpty else { return nil }
        let slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        guard hashes[slot] == hash else { return nil }
        let candidate = keys[slot]
        guard candidate.utf8.count == bytes.count else { return nil }
        let equal = candidate.utf8.withContiguousStorageIfAvailable { stored in
            for i in 0..<stored.count where stored[i] != bytes[i] { return false }
            return true
        }
        return equal == true ? candidate : nil
    }

    /// Remembers `key`, replacing whatever shared its slot.
    mutating func store(_ key: String, hash: UInt64) {
        if hashes.isEmpty {
            hashes = [UInt64](repeating: 0, count: Self.slotCount)
            keys = [String](repeating: "", count: Self.slotCount)
        }
        let slot = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
        hashes[slot] = hash
        keys[slot] = key
    }
}
