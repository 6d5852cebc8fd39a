public import WippyCore

/// The 16 bytes of a UUID, with the parsing and formatting rules of Go's `github.com/google/uuid`.
public struct UUIDValue: Sendable, Hashable, CustomStringConvertible {
    /// The bytes in network order.
    public private(set) var bytes: [UInt8]

    /// Wraps 16 bytes.
    ///
    /// - Precondition: `bytes.count == 16`.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 16, "a UUID has 16 bytes")
        self.bytes = bytes
    }

    /// Parses the forms Go's `uuid.Parse` accepts: canonical `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, 32 hex digits,
    /// `urn:uuid:` + canonical (prefix in any case), and `{` canonical `}`. Hex digits may be of either case.
    ///
    /// Unlike Go, the braced form must really end in `}`.
    ///
    /// - Throws: ``WippyError`` of kind ``ErrorKind/invalid``: `invalid UUID length: N`, `invalid urn prefix: "…"` or
    ///   `invalid UUID format`.
    public init(parsing text: String) throws(WippyError) {
        let utf8 = Array(text.utf8)
        var start = 0
        switch utf8.count {
        case 36:
            break
        case 45:
            let prefix = String(decoding: utf8[0..<9], as: UTF8.self)
            guard prefix.lowercased() == "urn:uuid:" else { throw .invalid("invalid urn prefix: \"\(prefix)\"") }
            start = 9
        case 38:
            guard utf8[0] == UInt8(ascii: "{"), utf8[37] == UInt8(ascii: "}") else { throw .invalid("invalid UUID format") }
            start = 1
        case 32:
            var bytes = [UInt8](repeating: 0, count: 16)
            for i in 0..<16 {
                guard let byte = Self.hexByte(utf8[i * 2], utf8[i * 2 + 1]) else { throw .invalid("invalid UUID format") }
                bytes[i] = byte
            }
            self.bytes = bytes
            return
        default:
            throw .invalid("invalid UUID length: \(utf8.count)")
        }
        for dash in [8, 13, 18, 23] where utf8[start + dash] != UInt8(ascii: "-") {
            throw .invalid("invalid UUID format")
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for (i, offset) in [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34].enumerated() {
            guard let byte = Self.hexByte(utf8[start + offset], utf8[start + offset + 1]) else {
                throw .invalid("invalid UUID format")
            }
            bytes[i] = byte
        }
        self.bytes = bytes
    }

    /// Whether `text` is in one of the forms ``init(parsing:)`` accepts.
    public static func isValid(_ text: String) -> Bool {
        (try? UUIDValue(parsing: text)) != nil
    }

    /// The version number: the high nibble of byte 6.
    public var version: Int { Int(bytes[6] >> 4) }

    /// The variant name, as Go's `uuid.Variant.String()` gives it: `RFC4122` (`10xx`), `Microsoft` (`110x`),
    /// `Future` (`111x`), `Reserved` (`0xxx`, the NCS-compatible range).
    public var variant: String {
        switch bytes[8] {
        case let b where b & 0xc0 == 0x80: return "RFC4122"
        case let b where b & 0xe0 == 0xc0: return "Microsoft"
        case let b where b & 0xe0 == 0xe0: return "Future"
        default: return "Reserved"
        }
    }

    /// Lowercase canonical form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
    public var description: String { format(dashes: true) }

    /// Lowercase hex, with or without the four dashes.
    public func format(dashes: Bool) -> String {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if dashes && (i == 4 || i == 6 || i == 8 || i == 10) { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Sets the version nibble and the RFC 4122 variant bits.
    mutating func stamp(version: Int) {
        bytes[6] = bytes[6] & 0x0f | UInt8(version << 4)
        bytes[8] = bytes[8] & 0x3f | 0x80
    }

    /// The creation time in whole Unix seconds for time-based versions (1, 2, 6 and 7), as Go's
    /// `uuid.Time().UnixTime()` computes it; `nil` for the other versions.
    public var unixSeconds: Int64? {
        switch version {
        case 7:
            let milliseconds = bytes[0..<6].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            return milliseconds / 1000
        case 6:
            let high = bytes[0..<6].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let ticks = high << 12 | Int64(bytes[6] & 0x0f) << 8 | Int64(bytes[7])
            return (ticks - UUIDClock.gregorianOffsetTicks) / 10_000_000
        case 1, 2:
            let low = bytes[0..<4].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let mid = Int64(bytes[4]) << 8 | Int64(bytes[5])
            let high = Int64(bytes[6] & 0x0f) << 8 | Int64(bytes[7])
            let ticks = low | mid << 32 | high << 48
            return (ticks - UUIDClock.gregorianOffsetTicks) / 10_000_000
        default:
            return nil
        }
    }

    private static func hexByte(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let h = hexValue(high), let l = hexValue(low) else { return nil }
        return h << 4 | l
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
