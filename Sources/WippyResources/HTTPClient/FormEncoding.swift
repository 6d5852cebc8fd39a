public import WippyCore

/// `application/x-www-form-urlencoded` escaping as `http_client.encode_uri` / `decode_uri` and the `query` and
/// `form` options use it: unreserved bytes (`A-Z a-z 0-9 - _ . ~`) stay, a space becomes `+`, every other
/// byte becomes `%XX` (upper-case hex).
public enum FormEncoding {
    public static func escape(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` stands for (`+` is a space); a `%` not followed by two hex digits is `Invalid`
    /// (`invalid URL escape "%zz"`).
    public static func unescape(_ text: String) throws(WippyError) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
                else {
                    let end = min(bytes.count, index + 3)
                    let shown = String(decoding: bytes[index..<end], as: UTF8.self)
                    throw WippyError.invalid("invalid URL escape \"\(shown)\"")
                }
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `key=value&...` with the keys in ascending byte order (values of one key keep their order).
    public static func encode(_ pairs: [(String, String)]) -> String {
        let sorted = pairs.enumerated().sorted { left, right in
            left.element.0 == right.element.0 ? left.offset < right.offset : Array(left.element.0.utf8).lexicographicallyPrecedes(right.element.0.utf8)
        }
        return sorted.map { escape($0.element.0) + "=" + escape($0.element.1) }.joined(separator: "&")
    }

    /// The pairs of a query string (`a=1&b=2`); undecodable pairs are skipped, as a lenient parser does.
    public static func decode(_ query: String) -> [(String, String)] {
        var pairs: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = try? unescape(String(pieces[0])) else { continue }
            let value = pieces.count > 1 ? ((try? unescape(String(pieces[1]))) ?? nil) : ""
            guard let value else { continue }
            pairs.append((key, value))
        }
        return pairs
    }

    /// `url` with `values` set in its query (each key replaces the URL's values for it); the query is then
    /// re-encoded in key order. A fragment is kept.
    public static func url(_ url: String, setting values: [(String, String)]) -> String {
        guard !values.isEmpty else { return url }
        var base = url
        var fragment = ""
        if let hash = base.firstIndex(of: "#") {
            fragment = String(base[hash...])
            base = String(base[..<hash])
        }
        var pairs: [(String, String)] = []
        if let question = base.firstIndex(of: "?") {
            pairs = decode(String(base[base.index(after: question)...]))
            base = String(base[..<question])
        }
        let keys = Set(values.map(\.0))
        pairs.removeAll { keys.contains($0.0) }
        pairs.append(contentsOf: values)
        return base + "?" + encode(pairs) + fragment
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
