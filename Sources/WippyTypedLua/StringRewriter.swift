/// Re-encodes a short string literal so that Lua 5.4 reads the same bytes Wippy does (rule T5).
///
/// Wippy drops the backslash of an unknown escape (`"\x41"` is `x41`, `"\z"` is `z`, `"\q"` is `q`);
/// Lua 5.4 gives `\x`, `\z` and `\u` other meanings and rejects the rest. So the backslash is removed
/// before any character other than `a b f n r t v \ " '`, a digit, or a line break.
enum StringRewriter {
    /// The rewritten literal, and how many backslashes were dropped after its last line break (the
    /// caller pads with that many spaces so the columns of what follows on that line stay put).
    static func rewrite(_ source: [UInt8], _ range: Range<Int>) -> (bytes: [UInt8], droppedOnLastLine: Int) {
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        var dropped = 0
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = source[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < range.upperBound else {
                output.append(byte)
                index += 1
                continue
            }
            let escaped = source[index + 1]
            switch escaped {
            case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"),
                UInt8(ascii: "t"), UInt8(ascii: "v"), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"):
                output.append(byte)
                output.append(escaped)
                index += 2
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                output.append(byte)
                dropped = 0
                index += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                output.append(byte)
                index += 1
            default:
                dropped += 1
                index += 1
            }
        }
        return (output, dropped)
    }
}
