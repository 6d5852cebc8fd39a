/// Strings from bytes that must be well-formed UTF-8 (Lua strings, SQLite text, JSON input).
///
/// The standard library's `String(validating:as:)` runs an unspecialised generic path: under callgrind it
/// cost about 1 000 instructions for a 40-byte ASCII string, most of them metadata lookups, on every SQL
/// text parameter and message string. Here ASCII is checked eight bytes at a time and anything else by the
/// well-formedness table of the Unicode standard (§3.9, table 3-7), without allocating; the string is then
/// made by `String(decoding:as:)`, which has nothing to repair.
public enum UTF8Text {
    /// The bytes as a string, nil when they are not well-formed UTF-8.
    @inlinable
    public static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard isValid(bytes) else { return nil }
        return String(decoding: bytes.bindMemory(to: UInt8.self), as: UTF8.self)
    }

    /// `string(_:)` for bytes held in an array.
    public static func string(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { string($0) }
    }

    /// True when `bytes` are well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var offset = 0
        while offset < count {
            // Runs of ASCII, a word at a time.
            while offset + 8 <= count,
                bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
            {
                offset += 8
            }
            guard offset < count else { return true }
            let lead = bytes[offset]
            if lead < 0x80 {
                offset += 1
                continue
            }
            // The sequence's length and the range its second byte must fall in; later bytes are 80...BF.
            let length: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard count - offset >= length else { return false }
            let second = bytes[offset + 1]
            guard second >= low && second <= high else { return false }
            var next = offset + 2
            while next < offset + length {
                guard bytes[next] & 0xC0 == 0x80 else { return false }
                next += 1
            }
            offset = next
        }
        return true
    }
}
