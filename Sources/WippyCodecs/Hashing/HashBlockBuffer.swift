/// The 64-byte block buffer shared by ``MD5`` and ``SHA1``, with the running message length.
struct HashBlockBuffer: Sendable {
    private var bytes = [UInt8](repeating: 0, count: 64)
    /// Bytes currently buffered (0..<64).
    private(set) var count = 0
    /// Bytes fed so far, over the whole message.
    private(set) var totalLength: UInt64 = 0

    /// Appends one byte; returns `true` when the block is full and must be compressed.
    mutating func append(_ byte: UInt8) -> Bool {
        bytes[count] = byte
        count += 1
        totalLength &+= 1
        return count == 64
    }

    /// Empties the block after compression (the running length is kept).
    mutating func reset() { count = 0 }

    /// The `index`-th 32-bit word of the block, little-endian (MD5).
    func littleEndianWord(_ index: Int) -> UInt32 {
        let base = index * 4
        return UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16
            | UInt32(bytes[base + 3]) << 24
    }

    /// The `index`-th 32-bit word of the block, big-endian (SHA-1).
    func bigEndianWord(_ index: Int) -> UInt32 {
        let base = index * 4
        return UInt32(bytes[base]) << 24 | UInt32(bytes[base + 1]) << 16 | UInt32(bytes[base + 2]) << 8
            | UInt32(bytes[base + 3])
    }
}
