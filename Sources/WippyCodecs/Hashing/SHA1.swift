/// The SHA-1 message digest (FIPS 180-4).
///
/// SHA-1 is no longer collision resistant. It is here for name-based UUIDs (version 5,
/// ``UUIDCodec/v5(namespace:name:)``) and for checksums that other systems expect.
///
/// Feed data with ``update(_:)`` any number of times, then call ``finalize()``; or use ``hash(_:)`` for one buffer.
public struct SHA1: Sendable {
    /// The digest size in bytes.
    public static let digestSize = 20

    private var state: (UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476, 0xc3d2_e1f0)
    private var buffer = HashBlockBuffer()

    /// Creates an empty SHA-1 computation.
    public init() {}

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var sha1 = SHA1()
        sha1.update(bytes)
        return sha1.finalize()
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            if buffer.append(byte) { compressBuffer() }
        }
    }

    /// Pads the message and returns its 20-byte digest.
    public mutating func finalize() -> [UInt8] {
        let bitLength = buffer.totalLength &* 8
        update(CollectionOfOne(0x80))
        while buffer.count != 56 { update(CollectionOfOne(0)) }
        for shift in stride(from: 56, through: 0, by: -8) {
            update(CollectionOfOne(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))))
        }
        var digest: [UInt8] = []
        digest.reserveCapacity(Self.digestSize)
        for word in [state.0, state.1, state.2, state.3, state.4] {
            for shift in stride(from: 24, through: 0, by: -8) { digest.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) }
        }
        return digest
    }

    private mutating func compressBuffer() {
        var w = [UInt32](repeating: 0, count: 80)
        for i in 0..<16 { w[i] = buffer.bigEndianWord(i) }
        for i in 16..<80 {
            let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w[i] = (x << 1) | (x >> 31)
        }
        var (a, b, c, d, e) = state
        for i in 0..<80 {
            let f: UInt32
            let k: UInt32
            switch i {
            case 0..<20: f = (b & c) | (~b & d); k = 0x5a82_7999
            case 20..<40: f = b ^ c ^ d; k = 0x6ed9_eba1
            case 40..<60: f = (b & c) | (b & d) | (c & d); k = 0x8f1b_bcdc
            default: f = b ^ c ^ d; k = 0xca62_c1d6
            }
            let temp = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[i]
            e = d
            d = c
            c = (b << 30) | (b >> 2)
            b = a
            a = temp
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e)
        buffer.reset()
    }
}
