public import WippyCore

/// Types plain (unquoted, untagged) YAML scalars the way Go's `gopkg.in/yaml.v3` does when decoding into `any`.
///
/// This is the YAML 1.2 core schema with yaml.v3's extensions, not YAML 1.1:
/// - `true`, `True`, `TRUE`, `false`, `False`, `FALSE` are booleans; `yes`, `no`, `on`, `off`, `y`, `n` stay strings;
/// - the empty string, `~`, `null`, `Null`, `NULL` are null;
/// - integers are what Go's `strconv.ParseInt(s, 0, 64)` accepts after removing `_`: decimal with an optional
///   sign, `0x`/`0o`/`0b` prefixes and C-style octal `0777`; values that only fit an unsigned 64-bit integer
///   become doubles (``Payload`` has no unsigned integer);
/// - floats match `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, plus `.5`-style values and
///   `.inf`, `+.inf`, `-.inf`, `.nan` in their three spellings;
/// - everything else (including timestamps, which yaml.v3 leaves as strings for `any`) is a string.
public enum YAMLScalarResolver {
    /// The value of a plain scalar.
    public static func resolve(_ text: String) -> Payload {
        if let special = specialValues[text] { return special }
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "."):
            if let value = dotFloat(text) { return .double(value) }
        case UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let number = number(text) { return number }
        default:
            break
        }
        return .string(text)
    }

    /// Whether `text`, written as a plain scalar, would read back as the same string.
    public static func isPlainString(_ text: String) -> Bool {
        resolve(text) == .string(text)
    }

    private static let specialValues: [String: Payload] = [
        "true": .bool(true), "True": .bool(true), "TRUE": .bool(true),
        "false": .bool(false), "False": .bool(false), "FALSE": .bool(false),
        "": .null, "~": .null, "null": .null, "Null": .null, "NULL": .null,
        ".nan": .double(.nan), ".NaN": .double(.nan), ".NAN": .double(.nan),
        ".inf": .double(.infinity), ".Inf": .double(.infinity), ".INF": .double(.infinity),
        "+.inf": .double(.infinity), "+.Inf": .double(.infinity), "+.INF": .double(.infinity),
        "-.inf": .double(-.infinity), "-.Inf": .double(-.infinity), "-.INF": .double(-.infinity),
    ]

    /// A scalar starting with a sign or a digit: integer, unsigned overflow or float.
    private static func number(_ text: String) -> Payload? {
        let plain = text.replacing("_", with: "")
        if let value = parseGoInteger(plain) { return .int(value) }
        if let value = parseGoUnsigned(plain) { return .double(Double(value)) }
        if isYAMLStyleFloat(plain), let value = Double(plain) { return .double(value) }
        return nil
    }

    /// `strconv.ParseInt(s, 0, 64)`: optional sign, then `0x`, `0o`, `0b`, leading-`0` octal or decimal digits.
    static func parseGoInteger(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard let magnitude = parseGoUnsigned(String(body)) else { return nil }
        if negative {
            if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
            return magnitude <= UInt64(Int64.max) ? -Int64(magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// `strconv.ParseUint(s, 0, 64)`: no sign; base from the prefix.
    static func parseGoUnsigned(_ text: String) -> UInt64? {
        let lower = text.lowercased()
        let digits: Substring
        let radix: Int
        if lower.hasPrefix("0x") {
            (digits, radix) = (lower.dropFirst(2), 16)
        } else if lower.hasPrefix("0o") {
            (digits, radix) = (lower.dropFirst(2), 8)
        } else if lower.hasPrefix("0b") {
            (digits, radix) = (lower.dropFirst(2), 2)
        } else if lower.hasPrefix("0") && lower.count > 1 {
            (digits, radix) = (lower.dropFirst(1), 8)
        } else {
            (digits, radix) = (Substring(lower), 10)
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isHexDigit }) else { return nil }
        return UInt64(digits, radix: radix)
    }

    /// yaml.v3's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
    static func isYAMLStyleFloat(_ text: String) -> Bool {
        var bytes = Array(text.utf8)[...]
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let integerDigits = bytes.prefix(while: isDigit).count
        bytes = bytes.dropFirst(integerDigits)
        var fractionDigits = 0
        var hasDot = false
        if bytes.first == UInt8(ascii: ".") {
            hasDot = true
            bytes = bytes.dropFirst()
            fractionDigits = bytes.prefix(while: isDigit).count
            bytes = bytes.dropFirst(fractionDigits)
        }
        if integerDigits == 0 && !(hasDot && fractionDigits > 0) { return false }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            let exponentDigits = bytes.prefix(while: isDigit).count
            if exponentDigits == 0 { return false }
            bytes = bytes.dropFirst(exponentDigits)
        }
        return bytes.isEmpty
    }

    /// A float starting with `.`, as Go's `strconv.ParseFloat` reads it (`.5`, `.5e3`).
    private static func dotFloat(_ text: String) -> Double? {
        guard isYAMLStyleFloat(text) else { return nil }
        return Double(text)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
