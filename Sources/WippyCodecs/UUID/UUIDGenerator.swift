import Crypto
import Synchronization

/// Creates version 1, 4 and 7 UUIDs the way Go's `github.com/google/uuid` does.
///
/// Version 1 and version 7 keep process-wide state (``UUIDSequence``: last timestamp, clock sequence, node)
/// behind a `Mutex`, so UUIDs from concurrent callers are unique and version 7 values from this process are
/// strictly increasing.
enum UUIDGenerator {
    private static let state = Mutex(UUIDSequence())

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// A random (version 4) UUID.
    static func v4() -> UUIDValue { v4(random: randomBytes(16)) }

    /// A version 4 UUID made of 16 given random bytes.
    static func v4(random: [UInt8]) -> UUIDValue {
        var value = UUIDValue(bytes: random)
        value.stamp(version: 4)
        return value
    }

    /// A time-based (version 1) UUID: 60-bit timestamp, clock sequence bumped when the clock does not advance, and a
    /// random node ID fixed for the process.
    static func v1() -> UUIDValue {
        let nanoseconds = UUIDClock.unixNanoseconds()
        return state.withLock { $0.v1(unixNanoseconds: nanoseconds, random: randomBytes) }
    }

    /// A time-ordered (version 7) UUID: 48-bit Unix milliseconds, then 12 bits of sub-millisecond time used as a
    /// sequence that keeps values from this process strictly increasing, then 62 random bits.
    static func v7() -> UUIDValue {
        let nanoseconds = UUIDClock.unixNanoseconds()
        let random = randomBytes(16)
        return state.withLock { $0.v7(unixNanoseconds: nanoseconds, random: random) }
    }

    /// A name-based UUID: the first 16 bytes of `hash(namespace ‖ name)` with version and variant set.
    static func nameBased(version: Int, namespace: UUIDValue, name: [UInt8]) -> UUIDValue {
        let input = namespace.bytes + name
        let digest = version == 3 ? Array(Insecure.MD5.hash(data: input)) : Array(Insecure.SHA1.hash(data: input))
        var value = UUIDValue(bytes: Array(digest[0..<16]))
        value.stamp(version: version)
        return value
    }
}

/// The state behind version 1 and 7 UUIDs, with the time and the randomness given: the process-wide generator
/// keeps one, and so does each workflow run (whose time and randomness must replay).
public struct UUIDSequence: Sendable {
    /// Last version 1 timestamp, in 100-ns ticks since 1582.
    var lastTicks: Int64 = 0
    /// 14-bit clock sequence with the RFC 4122 variant bits, chosen at random on first use (0 = not yet).
    var clockSequence: UInt16 = 0
    /// Random node ID with the multicast bit set (RFC 4122 §4.5), chosen on first use.
    var node: [UInt8] = []
    /// Last version 7 value of `milliseconds << 12 | sequence`.
    var lastV7: Int64 = 0

    public init() {}

    /// A version 1 UUID for `unixNanoseconds`; `random(n)` gives `n` random bytes (clock sequence and node, on
    /// first use).
    public mutating func v1(unixNanoseconds nanoseconds: Int64, random: (Int) -> [UInt8]) -> UUIDValue {
        if clockSequence == 0 {
            let bytes = random(2)
            clockSequence = (UInt16(bytes[0]) << 8 | UInt16(bytes[1])) & 0x3fff | 0x8000
        }
        if node.isEmpty {
            node = random(6)
            node[0] |= 0x01
        }
        let ticks = nanoseconds / 100 + UUIDClock.gregorianOffsetTicks
        if ticks <= lastTicks {
            clockSequence = (clockSequence &+ 1) & 0x3fff | 0x8000
        }
        lastTicks = ticks
        let timeLow = UInt32(truncatingIfNeeded: ticks)
        let timeMid = UInt16(truncatingIfNeeded: ticks >> 32)
        let timeHigh = UInt16(truncatingIfNeeded: ticks >> 48) & 0x0fff | 0x1000
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        bytes += [UInt8(timeLow >> 24), UInt8(timeLow >> 16 & 0xff), UInt8(timeLow >> 8 & 0xff), UInt8(timeLow & 0xff)]
        bytes += [UInt8(timeMid >> 8), UInt8(timeMid & 0xff), UInt8(timeHigh >> 8), UInt8(timeHigh & 0xff)]
        bytes += [UInt8(clockSequence >> 8), UInt8(clockSequence & 0xff)]
        bytes += node
        return UUIDValue(bytes: bytes)
    }

    /// A version 7 UUID for `unixNanoseconds`, strictly greater than the last one made here; `random` is 16
    /// random bytes (62 bits are used).
    public mutating func v7(unixNanoseconds nanoseconds: Int64, random: [UInt8]) -> UUIDValue {
        var milliseconds = nanoseconds / 1_000_000
        var sequence = (nanoseconds - milliseconds * 1_000_000) >> 8
        let now = milliseconds << 12 + sequence
        if now <= lastV7 {
            let next = lastV7 + 1
            milliseconds = next >> 12
            sequence = next & 0xfff
            lastV7 = next
        } else {
            lastV7 = now
        }
        var bytes = random
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: milliseconds >> (40 - 8 * i)) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: sequence >> 8) & 0x0f
        bytes[7] = UInt8(truncatingIfNeeded: sequence)
        bytes[8] = bytes[8] & 0x3f | 0x80
        return UUIDValue(bytes: bytes)
    }

    /// A version 4 UUID made of 16 given random bytes.
    public static func v4(random: [UInt8]) -> UUIDValue { UUIDGenerator.v4(random: random) }
}
