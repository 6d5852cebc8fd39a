extension JSONWriter {
    /// Appends `text` as a quoted JSON string.
    mutating func writeString(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            Self.appendEscaped(bytes, isValidUTF8: true, to: &out)
        }
        if done == nil {
            var copy = text
            copy.withUTF8 { Self.appendEscaped($0, isValidUTF8: true, to: &out) }
        }
    }

    /// Appends a byte string (a Lua string that need not be UTF-8) as a quoted JSON string; every byte that is not
    /// part of well-formed UTF-8 becomes `\ufffd`, as Go's encoder writes it.
    mutating func writeBytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { Self.appendEscaped($0, isValidUTF8: false, to: &out) }
    }

    /// Quotes and escapes `source` the way Go's `encoding/json` does with HTML escaping off: `"` and `\` are
    /// escaped, control characters become `\b \f \n \r \t` or `\u00xx`, U+2028 and U+2029 become `\u2028` and
    /// `\u2029`; `/`, `<`, `>`, `&` and DEL are left alone.
    static func appendEscaped(_ source: UnsafeBufferPointer<UInt8>, isValidUTF8: Bool, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var index = 0
        var runStart = 0
        let count = source.count
        @inline(__always) func flush(_ out: inout [UInt8]) {
            if runStart < index { out.append(contentsOf: UnsafeBufferPointer(rebasing: source[runStart..<index])) }
        }
        let base = UnsafeRawPointer(source.baseAddress)
        while index < count {
            // Skip eight plain bytes at a time: no escapes, and (for text not known to be valid) nothing non-ASCII;
            // valid text only needs a closer look at 0xE2, the lead byte of U+2028 and U+2029.
            if let base {
                while index + 8 <= count {
                    let word = (base + index).loadUnaligned(as: UInt64.self)
                    if JSONWordScan.needsEscape(word) { break }
                    if isValidUTF8 ? JSONWordScan.hasByte(word, 0xe2) : word & JSONWordScan.highBits != 0 { break }
                    index += 8
                }
                guard index < count else { break }
            }
            let byte = source[index]
            if byte < 0x80 {
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                flush(&out)
                appendEscape(for: byte, to: &out)
                index += 1
                runStart = index
                continue
            }
            if isValidUTF8 && byte != 0xe2 {
                index += 1
                continue
            }
            let length = isValidUTF8 ? 3 : GoUTF8.sequenceLength(source, at: index)
            if length == 0 {
                flush(&out)
                out.append(contentsOf: [0x5c, 0x75, 0x66, 0x66, 0x66, 0x64])  // \ufffd
                index += 1
                runStart = index
                continue
            }
            if byte == 0xe2 && length == 3 && source[index + 1] == 0x80 && source[index + 2] & 0xfe == 0xa8 {
                flush(&out)
                out.append(contentsOf: [0x5c, 0x75, 0x32, 0x30, 0x32])  // \u202
                out.append(source[index + 2] == 0xa8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                index += 3
                runStart = index
                continue
            }
            index += length
        }
        flush(&out)
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func appendEscape(for byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x0c: out.append(UInt8(ascii: "f"))
        case 0x0a: out.append(UInt8(ascii: "n"))
        case 0x0d: out.append(UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "t"))
        default:
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
    }
}
