extension Lexer {
    // MARK: - Character classes (ASCII only, as in the dialect)

    @inline(__always)
    static func isNameStart(_ byte: UInt8) -> Bool {
        let lower = byte | 0x20
        return (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z")) || byte == UInt8(ascii: "_")
    }

    @inline(__always)
    static func isNameChar(_ byte: UInt8) -> Bool {
        isNameStart(byte) || isDigit(byte)
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    @inline(__always)
    static func isHexDigit(_ byte: UInt8) -> Bool {
        let lower = byte | 0x20
        return isDigit(byte) || (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f"))
    }

    /// A readable name for a byte in an error message.
    static func describeByte(_ byte: UInt8) -> String {
        switch byte {
        case 0x0B: return "vertical tab (\\v)"
        case 0x0C: return "form feed (\\f)"
        case 0x20...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            return "byte 0x\(hex.count == 1 ? "0" + hex : hex)"
        }
    }

    // MARK: - Reserved words

    /// The keyword spelled by `source[start..<end]`, or `nil` for an ordinary name.
    static func keyword(in source: [UInt8], _ start: Int, _ end: Int) -> TokenKind? {
        let length = end - start
        guard length >= 2, length <= 9 else { return nil }
        var packed: UInt64 = 0
        for index in start..<min(end, start + 8) {
            packed = packed << 8 | UInt64(source[index])
        }
        if length == 9 {
            // Only `interface` has nine letters; its first eight are packed, check the ninth.
            return packed == interfacePrefix && source[start + 8] == UInt8(ascii: "e") ? .kwInterface : nil
        }
        return keywords[packed]
    }

    private static func pack(_ word: String) -> UInt64 {
        word.utf8.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    private static let interfacePrefix = pack("interfac")

    private static let keywords: [UInt64: TokenKind] = {
        let words: [(String, TokenKind)] = [
            ("and", .kwAnd), ("break", .kwBreak), ("do", .kwDo), ("else", .kwElse), ("elseif", .kwElseif),
            ("end", .kwEnd), ("false", .kwFalse), ("for", .kwFor), ("function", .kwFunction), ("goto", .kwGoto),
            ("if", .kwIf), ("in", .kwIn), ("local", .kwLocal), ("nil", .kwNil), ("not", .kwNot), ("or", .kwOr),
            ("repeat", .kwRepeat), ("return", .kwReturn), ("then", .kwThen), ("true", .kwTrue),
            ("until", .kwUntil), ("while", .kwWhile),
            ("fun", .kwFun), ("as", .kwAs), ("asserts", .kwAsserts), ("readonly", .kwReadonly),
            ("is", .kwIs), ("typeof", .kwTypeof), ("keyof", .kwKeyof), ("extends", .kwExtends),
        ]
        var table: [UInt64: TokenKind] = [:]
        for (word, kind) in words { table[pack(word)] = kind }
        return table
    }()
}
