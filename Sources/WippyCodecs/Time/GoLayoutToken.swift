/// One element of a Go reference-time layout, as recognised by Go's `nextStdChunk`.
struct GoLayoutToken {
    enum Kind {
        case longMonth  // January
        case month  // Jan
        case numMonth  // 1
        case zeroMonth  // 01
        case longWeekDay  // Monday
        case weekDay  // Mon
        case day  // 2
        case underDay  // _2
        case zeroDay  // 02
        case underYearDay  // __2
        case zeroYearDay  // 002
        case hour  // 15
        case hour12  // 3
        case zeroHour12  // 03
        case minute  // 4
        case zeroMinute  // 04
        case second  // 5
        case zeroSecond  // 05
        case longYear  // 2006
        case year  // 06
        case pm  // PM
        case lowerPM  // pm
        case tz  // MST
        case iso8601TZ  // Z0700
        case iso8601SecondsTZ  // Z070000
        case iso8601ShortTZ  // Z07
        case iso8601ColonTZ  // Z07:00
        case iso8601ColonSecondsTZ  // Z07:00:00
        case numTZ  // -0700
        case numSecondsTZ  // -070000
        case numShortTZ  // -07
        case numColonTZ  // -07:00
        case numColonSecondsTZ  // -07:00:00
        case fracSecond0  // .0, .00, ... (trailing zeros kept)
        case fracSecond9  // .9, .99, ... (trailing zeros dropped)
    }

    var kind: Kind
    /// Digit count of a fractional-second token.
    var digits = 0
    /// `.` or `,` before a fractional-second token.
    var separator = UInt8(ascii: ".")

    /// Whether the token needs the date (year, month, day).
    var needsDate: Bool {
        switch kind {
        case .longMonth, .month, .numMonth, .zeroMonth, .longWeekDay, .weekDay, .day, .underDay, .zeroDay,
            .longYear, .year, .underYearDay, .zeroYearDay:
            return true
        default:
            return false
        }
    }

    /// Whether the token is one of the `Z...` forms that print `Z` for UTC.
    var isISO8601: Bool {
        switch kind {
        case .iso8601TZ, .iso8601SecondsTZ, .iso8601ShortTZ, .iso8601ColonTZ, .iso8601ColonSecondsTZ: return true
        default: return false
        }
    }

    /// A layout split as `layout[start..<prefixEnd]` (literal text), then `token`, then the rest
    /// from `suffixStart`. `token` is `nil` when the remaining layout is all literal.
    struct Chunk {
        var prefixEnd: Int
        var token: GoLayoutToken?
        var suffixStart: Int
    }

    /// Go's `nextStdChunk`: finds the first token in `layout` at or after `start`.
    static func next(in layout: UnsafeBufferPointer<UInt8>, from start: Int) -> Chunk {
        let n = layout.count
        func has(_ i: Int, _ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard n - i >= count else { return false }
            let p = literal.utf8Start
            for k in 0..<count where layout[i + k] != p[k] { return false }
            return true
        }
        func chunk(_ i: Int, _ kind: Kind, _ length: Int) -> Chunk {
            Chunk(prefixEnd: i, token: GoLayoutToken(kind: kind), suffixStart: i + length)
        }
        func isLower(_ i: Int) -> Bool {
            i < n && layout[i] >= UInt8(ascii: "a") && layout[i] <= UInt8(ascii: "z")
        }
        func isDigit(_ i: Int) -> Bool {
            i < n && layout[i] >= UInt8(ascii: "0") && layout[i] <= UInt8(ascii: "9")
        }
        var i = start
        while i < n {
            switch layout[i] {
            case UInt8(ascii: "J"):  // January, Jan
                if has(i, "Jan") {
                    if has(i, "January") { return chunk(i, .longMonth, 7) }
                    if !isLower(i + 3) { return chunk(i, .month, 3) }
                }
            case UInt8(ascii: "M"):  // Monday, Mon, MST
                if has(i, "Mon") {
                    if has(i, "Monday") { return chunk(i, .longWeekDay, 6) }
                    if !isLower(i + 3) { return chunk(i, .weekDay, 3) }
                }
                if has(i, "MST") { return chunk(i, .tz, 3) }
            case UInt8(ascii: "0"):  // 01, 02, 03, 04, 05, 06, 002
                if i + 1 < n, layout[i + 1] >= UInt8(ascii: "1"), layout[i + 1] <= UInt8(ascii: "6") {
                    let kind: Kind
                    switch layout[i + 1] {
                    case UInt8(ascii: "1"): kind = .zeroMonth
                    case UInt8(ascii: "2"): kind = .zeroDay
                    case UInt8(ascii: "3"): kind = .zeroHour12
                    case UInt8(ascii: "4"): kind = .zeroMinute
                    case UInt8(ascii: "5"): kind = .zeroSecond
                    default: kind = .year
                    }
                    return chunk(i, kind, 2)
                }
                if has(i, "002") { return chunk(i, .zeroYearDay, 3) }
            case UInt8(ascii: "1"):  // 15, 1
                if has(i, "15") { return chunk(i, .hour, 2) }
                return chunk(i, .numMonth, 1)
            case UInt8(ascii: "2"):  // 2006, 2
                if has(i, "2006") { return chunk(i, .longYear, 4) }
                return chunk(i, .day, 1)
            case UInt8(ascii: "_"):  // _2, _2006, __2
                if i + 1 < n, layout[i + 1] == UInt8(ascii: "2") {
                    // "_2006" is a literal "_" followed by the long year.
                    if has(i + 1, "2006") {
                        return Chunk(prefixEnd: i + 1, token: GoLayoutToken(kind: .longYear), suffixStart: i + 5)
                    }
                    return chunk(i, .underDay, 2)
                }
                if has(i, "__2") { return chunk(i, .underYearDay, 3) }
            case UInt8(ascii: "3"):
                return chunk(i, .hour12, 1)
            case UInt8(ascii: "4"):
                return chunk(i, .minute, 1)
            case UInt8(ascii: "5"):
                return chunk(i, .second, 1)
            case UInt8(ascii: "P"):  // PM
                if has(i, "PM") { return chunk(i, .pm, 2) }
            case UInt8(ascii: "p"):  // pm
                if has(i, "pm") { return chunk(i, .lowerPM, 2) }
            case UInt8(ascii: "-"):  // -070000, -07:00:00, -0700, -07:00, -07
                if has(i, "-070000") { return chunk(i, .numSecondsTZ, 7) }
                if has(i, "-07:00:00") { return chunk(i, .numColonSecondsTZ, 9) }
                if has(i, "-0700") { return chunk(i, .numTZ, 5) }
                if has(i, "-07:00") { return chunk(i, .numColonTZ, 6) }
                if has(i, "-07") { return chunk(i, .numShortTZ, 3) }
            case UInt8(ascii: "Z"):  // Z070000, Z07:00:00, Z0700, Z07:00, Z07
                if has(i, "Z070000") { return chunk(i, .iso8601SecondsTZ, 7) }
                if has(i, "Z07:00:00") { return chunk(i, .iso8601ColonSecondsTZ, 9) }
                if has(i, "Z0700") { return chunk(i, .iso8601TZ, 5) }
                if has(i, "Z07:00") { return chunk(i, .iso8601ColonTZ, 6) }
                if has(i, "Z07") { return chunk(i, .iso8601ShortTZ, 3) }
            case UInt8(ascii: "."), UInt8(ascii: ","):  // .000, .999, ,000, ,999
                if i + 1 < n, layout[i + 1] == UInt8(ascii: "0") || layout[i + 1] == UInt8(ascii: "9") {
                    let digit = layout[i + 1]
                    var j = i + 1
                    while j < n, layout[j] == digit { j += 1 }
                    // Only a fractional second if the run of digits ends here.
                    if !isDigit(j) {
                        var token = GoLayoutToken(kind: digit == UInt8(ascii: "0") ? .fracSecond0 : .fracSecond9)
                        token.digits = j - (i + 1)
                        token.separator = layout[i]
                        return Chunk(prefixEnd: i, token: token, suffixStart: j)
                    }
                }
            default:
                break
            }
            i += 1
        }
        return Chunk(prefixEnd: n, token: nil, suffixStart: n)
    }
}
