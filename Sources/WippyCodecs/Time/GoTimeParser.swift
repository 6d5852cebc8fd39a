internal import WippyCore

/// The state of one Go layout parse (Go's `time.parse`), over the UTF-8 bytes of layout and value.
struct GoTimeParser {
    let layout: UnsafeBufferPointer<UInt8>
    let value: UnsafeBufferPointer<UInt8>

    private var year = 0
    private var month = -1
    private var day = -1
    private var yearDay = -1
    private var hour = 0
    private var minute = 0
    private var second = 0
    private var nanosecond = 0
    private var zone: GoLocation?
    private var zoneOffset = -1
    private var zoneName = ""
    private var amSet = false
    private var pmSet = false

    init(layout: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        self.layout = layout
        self.value = value
    }

    /// Parses; `defaultLocation` applies when the value names no zone, `local` is matched against
    /// offsets and abbreviations found in the value.
    mutating func run(defaultLocation: GoLocation, local: GoLocation) -> Result<GoTime, WippyError> {
        var li = 0
        var vi = 0
        while true {
            let chunk = GoLayoutToken.next(in: layout, from: li)
            let prefix = li..<chunk.prefixEnd
            let (afterPrefix, matched) = skip(from: vi, prefix: prefix)
            vi = afterPrefix
            if !matched { return .failure(error(layoutElement: prefix, valueFrom: vi)) }
            guard let token = chunk.token else {
                if vi != value.count {
                    let rest = GoQuote.quote(UnsafeBufferPointer(rebasing: value[vi...]))
                    return .failure(error(message: ": extra text: " + rest))
                }
                break
            }
            let element = chunk.prefixEnd..<chunk.suffixStart
            li = chunk.suffixStart
            let hold = vi
            var rangeError: String?
            let ok = parseElement(token, at: &vi, rangeError: &rangeError, layoutRest: li)
            if let rangeError { return .failure(error(message: ": " + rangeError + " out of range")) }
            if !ok { return .failure(error(layoutElement: element, valueFrom: hold)) }
        }
        if pmSet && hour < 12 {
            hour += 12
        } else if amSet && hour == 12 {
            hour = 0
        }
        if yearDay >= 0 {
            if let failure = resolveYearDay() { return .failure(failure) }
        } else {
            if month < 0 { month = 1 }
            if day < 0 { day = 1 }
        }
        if day < 1 || day > CivilCalendar.daysIn(month: month, year: year) {
            return .failure(error(message: ": day out of range"))
        }
        return .success(makeTime(defaultLocation: defaultLocation, local: local))
    }

    // MARK: - Elements

    /// Parses one layout element at `vi`; returns `false` for a mismatch.
    private mutating func parseElement(
        _ token: GoLayoutToken, at vi: inout Int, rangeError: inout String?, layoutRest: Int
    ) -> Bool {
        let remaining = value.count - vi
        switch token.kind {
        case .year:
            guard remaining >= 2, let y = atoi(vi..<vi + 2) else { return false }
            vi += 2
            year = y >= 69 ? y + 1900 : y + 2000
        case .longYear:
            guard remaining >= 4, isDigit(vi), let y = atoi(vi..<vi + 4) else { return false }
            vi += 4
            year = y
        case .month, .longMonth:
            let names = token.kind == .month ? GoCalendarNames.shortMonths : GoCalendarNames.longMonths
            guard let m = lookup(names, at: &vi) else { return false }
            month = m + 1
        case .numMonth, .zeroMonth:
            guard let m = getnum(&vi, fixed: token.kind == .zeroMonth) else { return false }
            month = m
            if m <= 0 || 12 < m { rangeError = "month" }
        case .weekDay, .longWeekDay:
            // The weekday is only checked for spelling.
            let names = token.kind == .weekDay ? GoCalendarNames.shortDays : GoCalendarNames.longDays
            guard lookup(names, at: &vi) != nil else { return false }
        case .day, .underDay, .zeroDay:
            if token.kind == .underDay, vi < value.count, value[vi] == UInt8(ascii: " ") { vi += 1 }
            guard let d = getnum(&vi, fixed: token.kind == .zeroDay) else { return false }
            day = d
        case .underYearDay, .zeroYearDay:
            for _ in 0..<2 where token.kind == .underYearDay && vi < value.count && value[vi] == UInt8(ascii: " ") {
                vi += 1
            }
            guard let d = getnum3(&vi, fixed: token.kind == .zeroYearDay) else { return false }
            yearDay = d
        case .hour:
            guard let h = getnum(&vi, fixed: false) else { return false }
            hour = h
            if h >= 24 { rangeError = "hour" }
        case .hour12, .zeroHour12:
            guard let h = getnum(&vi, fixed: token.kind == .zeroHour12) else { return false }
            hour = h
            if h > 12 { rangeError = "hour" }
        case .minute, .zeroMinute:
            guard let m = getnum(&vi, fixed: token.kind == .zeroMinute) else { return false }
            minute = m
            if m >= 60 { rangeError = "minute" }
        case .second, .zeroSecond:
            guard let s = getnum(&vi, fixed: token.kind == .zeroSecond) else { return false }
            second = s
            if s >= 60 {
                rangeError = "second"
                return true
            }
            // A fractional second in the value but not in the layout is accepted.
            if value.count - vi >= 2, isSeparator(vi), isDigit(vi + 1) {
                let next = GoLayoutToken.next(in: layout, from: layoutRest).token?.kind
                if next == .fracSecond0 || next == .fracSecond9 { return true }
                var n = 2
                while isDigit(vi + n) { n += 1 }
                guard parseNanoseconds(at: vi, count: n, rangeError: &rangeError) else { return false }
                vi += n
            }
        case .pm, .lowerPM:
            guard remaining >= 2 else { return false }
            let upper = token.kind == .pm
            let a = value[vi]
            let b = value[vi + 1]
            vi += 2
            guard b == UInt8(ascii: upper ? "M" : "m") else { return false }
            if a == UInt8(ascii: upper ? "P" : "p") {
                pmSet = true
            } else if a == UInt8(ascii: upper ? "A" : "a") {
                amSet = true
            } else {
                return false
            }
        case .iso8601TZ, .iso8601ShortTZ, .iso8601ColonTZ, .iso8601SecondsTZ, .iso8601ColonSecondsTZ,
            .numTZ, .numShortTZ, .numColonTZ, .numSecondsTZ, .numColonSecondsTZ:
            if token.isISO8601, vi < value.count, value[vi] == UInt8(ascii: "Z") {
                vi += 1
                zone = .utc
                return true
            }
            return parseOffset(token.kind, at: &vi, rangeError: &rangeError)
        case .tz:
            if remaining >= 3, value[vi] == UInt8(ascii: "U"), value[vi + 1] == UInt8(ascii: "T"),
                value[vi + 2] == UInt8(ascii: "C")
            {
                zone = .utc
                vi += 3
                return true
            }
            guard let n = timeZoneLength(at: vi) else { return false }
            zoneName = String(decoding: UnsafeBufferPointer(rebasing: value[vi..<vi + n]), as: UTF8.self)
            vi += n
        case .fracSecond0:
            // The exact number of digits in the layout is required.
            let n = 1 + token.digits
            guard remaining >= n, parseNanoseconds(at: vi, count: n, rangeError: &rangeError) else { return false }
            vi += n
        case .fracSecond9:
            guard remaining >= 2, isSeparator(vi), isDigit(vi + 1) else { return true }  // omitted
            // Any number of digits, even more than the layout shows.
            var i = 0
            while isDigit(vi + i + 1) { i += 1 }
            guard parseNanoseconds(at: vi, count: 1 + i, rangeError: &rangeError) else { return false }
            vi += 1 + i
        }
        return true
    }

    /// The numeric offset forms (`-0700`, `-07:00`, `-07`, `-070000`, `-07:00:00`).
    private mutating func parseOffset(_ kind: GoLayoutToken.Kind, at vi: inout Int, rangeError: inout String?) -> Bool {
        let remaining = value.count - vi
        let sign = vi < value.count ? value[vi] : 0
        var hh = vi + 1
        var mm = -1
        var ss = -1
        switch kind {
        case .iso8601ColonTZ, .numColonTZ:
            guard remaining >= 6, value[vi + 3] == UInt8(ascii: ":") else { return false }
            mm = vi + 4
            vi += 6
        case .numShortTZ, .iso8601ShortTZ:
            guard remaining >= 3 else { return false }
            vi += 3
        case .iso8601ColonSecondsTZ, .numColonSecondsTZ:
            guard remaining >= 9, value[vi + 3] == UInt8(ascii: ":"), value[vi + 6] == UInt8(ascii: ":") else {
                return false
            }
            mm = vi + 4
            ss = vi + 7
            vi += 9
        case .iso8601SecondsTZ, .numSecondsTZ:
            guard remaining >= 7 else { return false }
            mm = vi + 3
            ss = vi + 5
            vi += 7
        default:
            guard remaining >= 5 else { return false }
            mm = vi + 3
            vi += 5
        }
        var ok = true
        let hours = ok ? twoDigits(&hh, ok: &ok) : 0
        let minutes = mm < 0 ? 0 : (ok ? twoDigits(&mm, ok: &ok) : 0)
        let seconds = ss < 0 ? 0 : (ok ? twoDigits(&ss, ok: &ok) : 0)
        // ">" rather than ">=": offsets of 24 hours or 60 minutes do occur.
        if hours > 24 { rangeError = "time zone offset hour" }
        if minutes > 60 { rangeError = "time zone offset minute" }
        if seconds > 60 { rangeError = "time zone offset second" }
        zoneOffset = (hours * 60 + minutes) * 60 + seconds
        switch sign {
        case UInt8(ascii: "+"): break
        case UInt8(ascii: "-"): zoneOffset = -zoneOffset
        default: ok = false
        }
        return ok
    }

    /// Exactly two digits at `i` (Go's `getnum(s, true)` on a two-byte slice).
    private func twoDigits(_ i: inout Int, ok: inout Bool) -> Int {
        guard isDigit(i), isDigit(i + 1) else {
            ok = false
            return 0
        }
        return Int(value[i] - 48) * 10 + Int(value[i + 1] - 48)
    }

    /// Converts the day of the year into month and day, checking it against any month and day seen.
    private mutating func resolveYearDay() -> WippyError? {
        var yday = yearDay
        var m = 0
        var d = 0
        if CivilCalendar.isLeap(year) {
            if yday == 31 + 29 {
                m = 2
                d = 29
            } else if yday > 31 + 29 {
                yday -= 1
            }
        }
        if yday < 1 || yday > 365 { return error(message: ": day-of-year out of range") }
        if m == 0 {
            m = (yday - 1) / 31 + 1
            if CivilCalendar.daysBefore(month: m + 1) < yday { m += 1 }
            d = yday - CivilCalendar.daysBefore(month: m)
        }
        if month >= 0 && month != m { return error(message: ": day-of-year does not match month") }
        month = m
        if day >= 0 && day != d { return error(message: ": day-of-year does not match day") }
        day = d
        return nil
    }

    /// Builds the result from the parsed fields and zone information.
    private func makeTime(defaultLocation: GoLocation, local: GoLocation) -> GoTime {
        func date(_ location: GoLocation) -> GoTime {
            GoTime.date(
                year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                nanosecond: nanosecond, location: location
            )
        }
        if let zone { return date(zone) }
        if zoneOffset != -1 {
            var t = date(.utc)
            t.seconds = t.seconds &- Int64(zoneOffset)
            // Use the local zone if it had this offset (and name) at that instant.
            let found = local.lookup(t.seconds)
            if found.offset == zoneOffset && (zoneName.isEmpty || found.name == zoneName) {
                return t.inLocation(local)
            }
            return t.inLocation(.fixed(name: zoneName, offsetSeconds: zoneOffset))
        }
        if !zoneName.isEmpty {
            var t = date(.utc)
            if let offset = local.lookupName(zoneName, unix: t.seconds) {
                t.seconds = t.seconds &- Int64(offset)
                return t.inLocation(local)
            }
            // Unknown abbreviation: a zone with that name and an unknown (zero) offset, except GMT+h.
            var offset = 0
            if zoneName.utf8.count > 3, zoneName.hasPrefix("GMT") {
                var rest = zoneName
                rest.removeFirst(3)
                offset = (Int(rest) ?? 0) * 3600
            }
            return t.inLocation(.fixed(name: zoneName, offsetSeconds: offset))
        }
        return date(defaultLocation)
    }

    // MARK: - Lexical helpers (Go's skip, getnum, getnum3, lookup, atoi, parseNanoseconds, parseTimeZone)

    private func isDigit(_ i: Int) -> Bool {
        i < value.count && value[i] >= UInt8(ascii: "0") && value[i] <= UInt8(ascii: "9")
    }

    private func isSeparator(_ i: Int) -> Bool {
        i < value.count && (value[i] == UInt8(ascii: ".") || value[i] == UInt8(ascii: ","))
    }

    /// Matches the literal layout text `prefix` at `vi`; a space in the layout matches any run of
    /// spaces (including none at the end). Returns where matching stopped and whether it succeeded.
    private func skip(from vi: Int, prefix: Range<Int>) -> (Int, Bool) {
        var p = prefix.lowerBound
        var v = vi
        while p < prefix.upperBound {
            if layout[p] == UInt8(ascii: " ") {
                if v < value.count && value[v] != UInt8(ascii: " ") { return (v, false) }
                while p < prefix.upperBound && layout[p] == UInt8(ascii: " ") { p += 1 }
                while v < value.count && value[v] == UInt8(ascii: " ") { v += 1 }
                continue
            }
            if v >= value.count || value[v] != layout[p] { return (v, false) }
            p += 1
            v += 1
        }
        return (v, true)
    }

    /// One or two digits (exactly two when `fixed`).
    private func getnum(_ vi: inout Int, fixed: Bool) -> Int? {
        guard isDigit(vi) else { return nil }
        guard isDigit(vi + 1) else {
            if fixed { return nil }
            defer { vi += 1 }
            return Int(value[vi] - 48)
        }
        defer { vi += 2 }
        return Int(value[vi] - 48) * 10 + Int(value[vi + 1] - 48)
    }

    /// One to three digits (exactly three when `fixed`).
    private func getnum3(_ vi: inout Int, fixed: Bool) -> Int? {
        var n = 0
        var i = 0
        while i < 3 && isDigit(vi + i) {
            n = n * 10 + Int(value[vi + i] - 48)
            i += 1
        }
        if i == 0 || (fixed && i != 3) { return nil }
        vi += i
        return n
    }

    /// Case-insensitive match of one of `names` at `vi`; returns its index.
    private func lookup(_ names: [String], at vi: inout Int) -> Int? {
        for (index, name) in names.enumerated() {
            var i = vi
            var matched = true
            for c2 in name.utf8 {
                guard i < value.count else {
                    matched = false
                    break
                }
                let c1 = value[i]
                if c1 != c2 {
                    let l1 = c1 | 0x20
                    let l2 = c2 | 0x20
                    if l1 != l2 || l1 < UInt8(ascii: "a") || l1 > UInt8(ascii: "z") {
                        matched = false
                        break
                    }
                }
                i += 1
            }
            if matched {
                vi = i
                return index
            }
        }
        return nil
    }

    /// Go's `atoi`: optional sign, then only digits (possibly none), without overflow.
    private func atoi(_ range: Range<Int>) -> Int? {
        var i = range.lowerBound
        var negative = false
        if i < range.upperBound, value[i] == UInt8(ascii: "-") || value[i] == UInt8(ascii: "+") {
            negative = value[i] == UInt8(ascii: "-")
            i += 1
        }
        var x: UInt64 = 0
        while i < range.upperBound {
            let c = value[i]
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            if x > (1 << 63) / 10 { return nil }
            x = x * 10 + UInt64(c - 48)
            if x > 1 << 63 { return nil }
            i += 1
        }
        let result = Int(truncatingIfNeeded: x)
        return negative ? 0 &- result : result
    }

    /// A separator and digits at `vi` spanning `count` bytes (only the first 9 digits count).
    private mutating func parseNanoseconds(at vi: Int, count: Int, rangeError: inout String?) -> Bool {
        guard isSeparator(vi) else { return false }
        let n = min(count, 10)
        guard var ns = atoi(vi + 1..<vi + n) else { return false }
        if ns < 0 {
            rangeError = "fractional second"
            return true
        }
        for _ in 0..<(10 - n) { ns *= 10 }
        nanosecond = ns
        return true
    }

    /// Go's `parseTimeZone`: the length of a plausible zone abbreviation at `vi`, if any.
    private func timeZoneLength(at vi: Int) -> Int? {
        let remaining = value.count - vi
        guard remaining >= 3 else { return nil }
        func has(_ s: StaticString) -> Bool {
            let p = s.utf8Start
            guard remaining >= s.utf8CodeUnitCount else { return false }
            for k in 0..<s.utf8CodeUnitCount where value[vi + k] != p[k] { return false }
            return true
        }
        // Special cases: ChST and MeST, GMT with an hour offset, and +hh / -hh names.
        if has("ChST") || has("MeST") { return 4 }
        if has("GMT") {
            return remaining == 3 ? 3 : 3 + signedOffsetLength(at: vi + 3)
        }
        if value[vi] == UInt8(ascii: "+") || value[vi] == UInt8(ascii: "-") {
            let n = signedOffsetLength(at: vi)
            return n > 0 ? n : nil
        }
        var upper = 0
        while upper < 6, vi + upper < value.count, value[vi + upper] >= UInt8(ascii: "A"),
            value[vi + upper] <= UInt8(ascii: "Z")
        {
            upper += 1
        }
        switch upper {
        case 3: return 3
        case 4: return value[vi + 3] == UInt8(ascii: "T") || has("WITA") ? 4 : nil
        case 5: return value[vi + 4] == UInt8(ascii: "T") ? 5 : nil
        default: return nil
        }
    }

    /// Go's `parseSignedOffset`: the length of `+h` / `-hh` (hours up to 23) at `vi`, or 0.
    private func signedOffsetLength(at vi: Int) -> Int {
        guard vi < value.count, value[vi] == UInt8(ascii: "+") || value[vi] == UInt8(ascii: "-") else { return 0 }
        var i = vi + 1
        var x: UInt64 = 0
        while isDigit(i) {
            if x > (1 << 63) / 10 { return 0 }
            x = x * 10 + UInt64(value[i] - 48)
            if x > 1 << 63 { return 0 }
            i += 1
        }
        if i == vi + 1 || x > 23 { return 0 }
        return i - vi
    }

    // MARK: - Errors

    /// Go's `ParseError` without a message: `parsing time "v" as "l": cannot parse "rest" as "elem"`.
    private func error(layoutElement: Range<Int>, valueFrom: Int) -> WippyError {
        .invalid(
            "parsing time " + GoQuote.quote(value) + " as " + GoQuote.quote(layout) + ": cannot parse "
                + GoQuote.quote(UnsafeBufferPointer(rebasing: value[valueFrom...])) + " as "
                + GoQuote.quote(UnsafeBufferPointer(rebasing: layout[layoutElement]))
        )
    }

    /// Go's `ParseError` with a message: `parsing time "v": message`.
    private func error(message: String) -> WippyError {
        .invalid("parsing time " + GoQuote.quote(value) + message)
    }
}
