/// Go's `time.quote`: the double-quoted form used in time parse error messages.
///
/// Printable ASCII is kept (with `"` and `\` escaped); every byte of a non-ASCII or control character
/// becomes `\xHH`, exactly as Go's time package does it.
enum GoQuote {
    /// Quotes the UTF-8 bytes `bytes`.
    static func quote(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 2)
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for b in bytes {
            if b >= 0x80 || b < 0x20 {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "x"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            } else {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                    out.append(UInt8(ascii: "\\"))
                }
                out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }

    /// Quotes the string `s`.
    static func quote(_ s: String) -> String {
        quote(s.utf8)
    }
}
