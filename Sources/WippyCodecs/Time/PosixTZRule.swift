/// A POSIX `TZ` rule string such as `CET-1CEST,M3.5.0,M10.5.0/3`, as found in the footer of TZif
/// files; it extends a zone past its last listed transition (Go's `tzset`).
struct PosixTZRule: Sendable {
    /// When a transition happens within a year.
    struct Rule: Sendable {
        enum Kind: Sendable {
            /// `Jn`: day 1...365, never counting February 29.
            case julian
            /// `n`: zero-based day of year 0...365, counting February 29.
            case dayOfYear
            /// `Mm.w.d`: weekday `d` of week `w` (5 = last) of month `m`.
            case monthWeekDay
        }

        var kind: Kind
        var day = 0
        var week = 0
        var month = 0
        /// Local time of day of the transition in seconds (default 02:00).
        var time = 7200
    }

    var stdName: String
    /// Seconds east of UTC.
    var stdOffset: Int
    /// `nil` when the zone has no daylight saving time.
    var dst: (name: String, offset: Int, start: Rule, end: Rule)?

    /// Parses a rule; returns `nil` where Go's `tzset` would fail.
    init?(_ string: String) {
        var s = Substring(string).utf8
        guard let std = Self.name(&s), let stdOff = Self.offset(&s) else { return nil }
        stdName = std
        // POSIX offsets are added to local time to get UTC; ours are the opposite.
        stdOffset = -stdOff
        if s.isEmpty || s.first == UInt8(ascii: ",") {
            dst = nil
            return
        }
        guard let dstName = Self.name(&s) else { return nil }
        var dstOffset = stdOffset + 3600
        if !(s.isEmpty || s.first == UInt8(ascii: ",")) {
            guard let off = Self.offset(&s) else { return nil }
            dstOffset = -off
        }
        if s.isEmpty {
            // Default DST rules per tzcode.
            s = Substring(",M3.2.0,M11.1.0").utf8
        }
        guard s.first == UInt8(ascii: ",") || s.first == UInt8(ascii: ";") else { return nil }
        s.removeFirst()
        guard let start = Self.rule(&s), s.first == UInt8(ascii: ",") else { return nil }
        s.removeFirst()
        guard let end = Self.rule(&s), s.isEmpty else { return nil }
        dst = (dstName, dstOffset, start, end)
    }

    /// The zone in effect at Unix second `sec`, given that the last listed transition was at
    /// `lastTransition` (Go's `tzset` result).
    func lookup(_ sec: Int64, lastTransition: Int64) -> GoLocation.ZoneLookup {
        guard let dst else {
            return GoLocation.ZoneLookup(
                name: stdName, offset: stdOffset, start: lastTransition, end: .max, isDST: false
            )
        }
        // Year and second-of-year of `sec` in UTC, as Go computes them.
        let days = CivilCalendar.floorDiv(sec, CivilCalendar.secondsPerDay)
        let date = CivilCalendar.date(dayNumber: days)
        let yearStartDay = CivilCalendar.dayNumber(year: date.year, month: 1, day: 1)
        let yearStart = yearStartDay &* CivilCalendar.secondsPerDay
        let ysec = sec &- yearStart

        var stdName = self.stdName
        var dstName = dst.name
        var stdOffset = self.stdOffset
        var dstOffset = dst.offset
        var startSec = Int64(Self.ruleTime(year: date.year, dst.start, offset: stdOffset))
        var endSec = Int64(Self.ruleTime(year: date.year, dst.end, offset: dstOffset))
        var dstIsDST = true
        var stdIsDST = false
        // Southern hemisphere: swap the labels while keeping the periods.
        if endSec < startSec {
            swap(&startSec, &endSec)
            swap(&stdName, &dstName)
            swap(&stdOffset, &dstOffset)
            swap(&stdIsDST, &dstIsDST)
        }
        if ysec < startSec {
            return .init(
                name: stdName, offset: stdOffset, start: yearStart, end: startSec &+ yearStart, isDST: stdIsDST)
        } else if ysec >= endSec {
            return .init(
                name: stdName, offset: stdOffset, start: endSec &+ yearStart,
                end: yearStart &+ 365 &* CivilCalendar.secondsPerDay, isDST: stdIsDST
            )
        } else {
            return .init(
                name: dstName, offset: dstOffset, start: startSec &+ yearStart, end: endSec &+ yearStart,
                isDST: dstIsDST)
        }
    }

    /// Seconds after the start of the UTC year `year` at which `rule` fires, for a zone at `offset`.
    static func ruleTime(year: Int, _ rule: Rule, offset: Int) -> Int {
        var s: Int
        switch rule.kind {
        case .julian:
            s = (rule.day - 1) * 86_400
            if CivilCalendar.isLeap(year) && rule.day >= 60 { s += 86_400 }
        case .dayOfYear:
            s = rule.day * 86_400
        case .monthWeekDay:
            let first = CivilCalendar.dayNumber(year: year, month: rule.month, day: 1)
            let dow = CivilCalendar.weekday(dayNumber: first)
            var d = rule.day - dow
            if d < 0 { d += 7 }
            for _ in 1..<max(rule.week, 1) {
                if d + 7 >= CivilCalendar.daysIn(month: rule.month, year: year) { break }
                d += 7
            }
            d += CivilCalendar.daysBefore(month: rule.month)
            if CivilCalendar.isLeap(year) && rule.month > 2 { d += 1 }
            s = d * 86_400
        }
        return s + rule.time - offset
    }

    // MARK: - Parsing pieces (Go's tzsetName, tzsetOffset, tzsetRule, tzsetNum)

    private static func name(_ s: inout Substring.UTF8View) -> String? {
        guard let first = s.first else { return nil }
        if first != UInt8(ascii: "<") {
            var i = s.startIndex
            var count = 0
            while i != s.endIndex {
                let c = s[i]
                if (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: ",")
                    || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                {
                    break
                }
                i = s.index(after: i)
                count += 1
            }
            guard count >= 3 else { return nil }
            let name = String(Substring(s[s.startIndex..<i]))
            s = s[i...]
            return name
        }
        guard let close = s.firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let name = String(Substring(s[s.index(after: s.startIndex)..<close]))
        s = s[s.index(after: close)...]
        return name
    }

    private static func offset(_ s: inout Substring.UTF8View) -> Int? {
        guard let first = s.first else { return nil }
        var negative = false
        if first == UInt8(ascii: "+") {
            s.removeFirst()
        } else if first == UInt8(ascii: "-") {
            s.removeFirst()
            negative = true
        }
        guard let hours = number(&s, min: 0, max: 24 * 7) else { return nil }
        var off = hours * 3600
        if s.first == UInt8(ascii: ":") {
            s.removeFirst()
            guard let minutes = number(&s, min: 0, max: 59) else { return nil }
            off += minutes * 60
            if s.first == UInt8(ascii: ":") {
                s.removeFirst()
                guard let seconds = number(&s, min: 0, max: 59) else { return nil }
                off += seconds
            }
        }
        return negative ? -off : off
    }

    private static func rule(_ s: inout Substring.UTF8View) -> Rule? {
        guard let first = s.first else { return nil }
        var r: Rule
        if first == UInt8(ascii: "J") {
            s.removeFirst()
            guard let day = number(&s, min: 1, max: 365) else { return nil }
            r = Rule(kind: .julian, day: day)
        } else if first == UInt8(ascii: "M") {
            s.removeFirst()
            guard let month = number(&s, min: 1, max: 12), s.first == UInt8(ascii: ".") else { return nil }
            s.removeFirst()
            guard let week = number(&s, min: 1, max: 5), s.first == UInt8(ascii: ".") else { return nil }
            s.removeFirst()
            guard let day = number(&s, min: 0, max: 6) else { return nil }
            r = Rule(kind: .monthWeekDay, day: day, week: week, month: month)
        } else {
            guard let day = number(&s, min: 0, max: 365) else { return nil }
            r = Rule(kind: .dayOfYear, day: day)
        }
        if s.first == UInt8(ascii: "/") {
            s.removeFirst()
            guard let time = offset(&s) else { return nil }
            r.time = time
        }
        return r
    }

    private static func number(_ s: inout Substring.UTF8View, min: Int, max: Int) -> Int? {
        var num = 0
        var digits = 0
        while let c = s.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
            num = num * 10 + Int(c - UInt8(ascii: "0"))
            if num > max { return nil }
            digits += 1
            s.removeFirst()
        }
        if digits == 0 || num < min { return nil }
        return num
    }
}
