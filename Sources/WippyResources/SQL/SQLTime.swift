#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Date and time values as the `sql` module returns them: RFC 3339 text in UTC (`2024-05-01T10:00:00Z`,
/// with the fraction of a second when there is one).
public enum SQLTime {
    /// `seconds` since the Unix epoch plus `nanoseconds`, as RFC 3339 in UTC.
    public static func format(seconds: Int64, nanoseconds: Int64 = 0) -> String {
        var seconds = seconds
        var nanoseconds = nanoseconds
        if nanoseconds < 0 {
            seconds -= 1
            nanoseconds += 1_000_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : String(value) }
        let year = Int(parts.tm_year) + 1900
        var yearText = String(year)
        while yearText.count < 4 { yearText = "0" + yearText }
        var text = "\(yearText)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        if nanoseconds > 0 {
            var fraction = String(nanoseconds)
            while fraction.count < 9 { fraction = "0" + fraction }
            while fraction.hasSuffix("0") { fraction.removeLast() }
            text += "." + fraction
        }
        return text + "Z"
    }

    /// Reads the time formats SQLite databases hold (`2006-01-02 15:04:05.999999999-07:00`, with `T` or a
    /// space, optional seconds, fraction and zone, or a date alone); nil for other text.
    public static func parse(_ text: String) -> (seconds: Int64, nanoseconds: Int64)? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take(UInt8(ascii: "-")),
            let month = scanner.number(digits: 2), scanner.take(UInt8(ascii: "-")),
            let day = scanner.number(digits: 2)
        else { return nil }
        var hour = 0, minute = 0, second = 0, nanos: Int64 = 0, offset = 0
        if !scanner.atEnd {
            guard scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: " ")) || scanner.take(UInt8(ascii: "t")),
                let h = scanner.number(digits: 2), scanner.take(UInt8(ascii: ":")), let m = scanner.number(digits: 2)
            else { return nil }
            hour = h
            minute = m
            if scanner.take(UInt8(ascii: ":")) {
                guard let s = scanner.number(digits: 2) else { return nil }
                second = s
                if scanner.take(UInt8(ascii: ".")) {
                    var digits = 0
                    while let digit = scanner.digit() {
                        if digits < 9 { nanos = nanos * 10 + Int64(digit) }
                        digits += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in min(digits, 9)..<9 { nanos *= 10 }
                }
            }
            if scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
            } else if let sign = scanner.peek, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                scanner.index += 1
                guard let oh = scanner.number(digits: 2) else { return nil }
                _ = scanner.take(UInt8(ascii: ":"))
                let om = scanner.number(digits: 2) ?? 0
                offset = (oh * 3600 + om * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            }
            guard scanner.atEnd else { return nil }
        }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offset)
        return (seconds, nanos)
    }

    /// Text in one of the formats of ``parse(_:)`` as RFC 3339 in UTC; nil for other text.
    public static func normalize(_ text: String) -> String? {
        guard let (seconds, nanoseconds) = parse(text) else { return nil }
        return format(seconds: seconds, nanoseconds: nanoseconds)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }
        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }
        mutating func digit() -> Int? {
            guard let byte = peek, byte >= 48, byte <= 57 else { return nil }
            index += 1
            return Int(byte - 48)
        }
        mutating func number(digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }
    }
}
