#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// An instant with nanosecond precision plus the location used to display it, like Go's `time.Time`.
///
/// The instant is ``seconds`` since the Unix epoch plus ``nanoseconds`` (always `0..<1_000_000_000`).
/// Calendar fields (``year``, ``hour``, ...) are those of the instant as seen in ``location``.
/// Go's monotonic clock reading is not modelled.
public struct GoTime: Sendable, CustomStringConvertible {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    public var seconds: Int64
    /// Nanoseconds within the second, `0..<1_000_000_000`.
    public var nanoseconds: Int32
    /// The location whose wall clock the calendar fields use.
    public var location: GoLocation

    /// Unix seconds of Go's zero time, January 1, year 1, 00:00:00 UTC.
    static let zeroUnixSeconds: Int64 = -62_135_596_800

    /// Creates the instant `seconds` + `nanoseconds` after the Unix epoch; out-of-range
    /// nanoseconds carry into seconds (Go's `time.Unix`).
    public init(seconds: Int64, nanoseconds: Int64 = 0, location: GoLocation = .utc) {
        var sec = seconds
        var nsec = nanoseconds
        if nsec < 0 || nsec >= 1_000_000_000 {
            let n = nsec / 1_000_000_000
            sec = sec &+ n
            nsec -= n * 1_000_000_000
            if nsec < 0 {
                nsec += 1_000_000_000
                sec = sec &- 1
            }
        }
        self.seconds = sec
        self.nanoseconds = Int32(nsec)
        self.location = location
    }

    /// Go's `time.Unix(sec, nsec)` in `location` (default local, like Go).
    public static func unix(_ seconds: Int64, _ nanoseconds: Int64 = 0, in location: GoLocation = .local) -> GoTime {
        GoTime(seconds: seconds, nanoseconds: nanoseconds, location: location)
    }

    /// The zero time, January 1, year 1, 00:00:00 UTC (Go's `time.Time{}`).
    public static let zero = GoTime(seconds: zeroUnixSeconds, nanoseconds: 0, location: .utc)

    /// Whether this is the zero time instant (Go's `IsZero`).
    public var isZero: Bool { seconds == Self.zeroUnixSeconds && nanoseconds == 0 }

    /// The current wall-clock time in `location` (Go's `time.Now()` without a monotonic reading).
    public static func now(in location: GoLocation = .local) -> GoTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return GoTime(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec), location: location)
    }

    /// The time of the given wall clock in `location` (Go's `time.Date`).
    ///
    /// Values outside their usual ranges normalise: month 13 is January of the next year,
    /// day 0 is the last day of the previous month, hour -1 is 23:00 of the previous day, and
    /// so on. A wall clock that a zone transition skips or repeats resolves as in Go.
    public static func date(
        year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0,
        nanosecond: Int = 0, location: GoLocation = .local
    ) -> GoTime {
        var year = year
        var month0 = month &- 1
        var day = day
        var hour = hour
        var minute = minute
        var second = second
        var nanosecond = nanosecond
        CivilCalendar.normalize(&year, &month0, base: 12)
        CivilCalendar.normalize(&second, &nanosecond, base: 1_000_000_000)
        CivilCalendar.normalize(&minute, &second, base: 60)
        CivilCalendar.normalize(&hour, &minute, base: 60)
        CivilCalendar.normalize(&day, &hour, base: 24)
        let days = CivilCalendar.dayNumber(year: year, month: month0 + 1, day: day)
        var unix = days &* CivilCalendar.secondsPerDay
        unix = unix &+ Int64(hour &* 3600 &+ minute &* 60 &+ second)
        // The zone lookup wants UTC: try the wall clock first, then correct near transitions.
        let zone = location.lookup(unix)
        if zone.offset != 0 {
            var offset = zone.offset
            let utc = unix &- Int64(offset)
            if utc < zone.start || utc >= zone.end {
                offset = location.offset(at: utc)
            }
            unix = unix &- Int64(offset)
        }
        return GoTime(seconds: unix, nanoseconds: Int64(nanosecond), location: location)
    }

    // MARK: - Arithmetic

    /// The time `duration` later (Go's `Add`); seconds saturate instead of overflowing.
    public func adding(_ duration: GoDuration) -> GoTime {
        var dsec = duration.nanoseconds / 1_000_000_000
        var nsec = nanoseconds + Int32(duration.nanoseconds % 1_000_000_000)
        if nsec >= 1_000_000_000 {
            dsec += 1
            nsec -= 1_000_000_000
        } else if nsec < 0 {
            dsec -= 1
            nsec += 1_000_000_000
        }
        var result = self
        let (sum, overflow) = seconds.addingReportingOverflow(dsec)
        result.seconds = overflow ? (dsec > 0 ? .max : .min + 1) : sum
        result.nanoseconds = nsec
        return result
    }

    /// Adds years, months and days to the wall-clock date, then normalises (Go's `AddDate`):
    /// January 31 plus one month is March 3 (or March 2 in a leap year).
    public func addingDate(years: Int = 0, months: Int = 0, days: Int = 0) -> GoTime {
        let c = components
        return GoTime.date(
            year: c.year &+ years, month: c.month &+ months, day: c.day &+ days,
            hour: c.hour, minute: c.minute, second: c.second, nanosecond: c.nanosecond, location: location
        )
    }

    /// The duration `self - other`, clamped to the ``GoDuration`` range (Go's `Sub`).
    public func sub(_ other: GoTime) -> GoDuration {
        let d =
            (Int128(seconds) - Int128(other.seconds)) * 1_000_000_000
            + Int128(nanoseconds - other.nanoseconds)
        if d > Int128(Int64.max) { return .max }
        if d < Int128(Int64.min) { return .min }
        return GoDuration(Int64(d))
    }

    /// Whether this instant is before `other`.
    public func before(_ other: GoTime) -> Bool {
        seconds < other.seconds || (seconds == other.seconds && nanoseconds < other.nanoseconds)
    }

    /// Whether this instant is after `other`.
    public func after(_ other: GoTime) -> Bool {
        other.before(self)
    }

    /// Whether both are the same instant, whatever their locations (Go's `Equal`).
    public func equal(_ other: GoTime) -> Bool {
        seconds == other.seconds && nanoseconds == other.nanoseconds
    }

    /// -1, 0 or +1 as this instant is before, equal to or after `other` (Go's `Compare`).
    public func compare(_ other: GoTime) -> Int {
        before(other) ? -1 : (equal(other) ? 0 : 1)
    }

    /// The remainder of this instant since the zero time modulo `unit` (Go's `div`), in `0..<unit`.
    private func remainder(_ unit: GoDuration) -> Int64 {
        let total = (Int128(seconds) - Int128(Self.zeroUnixSeconds)) * 1_000_000_000 + Int128(nanoseconds)
        var r = total % Int128(unit.nanoseconds)
        if r < 0 { r += Int128(unit.nanoseconds) }
        return Int64(r)
    }

    /// Rounds down to a multiple of `unit` since the zero time (Go's `Truncate`); `unit <= 0` is a no-op.
    public func truncated(to unit: GoDuration) -> GoTime {
        if unit.nanoseconds <= 0 { return self }
        return adding(GoDuration(-remainder(unit)))
    }

    /// Rounds to the nearest multiple of `unit` since the zero time, halfway values up
    /// (Go's `Round`); `unit <= 0` is a no-op.
    public func rounded(to unit: GoDuration) -> GoTime {
        if unit.nanoseconds <= 0 { return self }
        let r = remainder(unit)
        if GoDuration.lessThanHalf(r, unit.nanoseconds) {
            return adding(GoDuration(-r))
        }
        return adding(GoDuration(unit.nanoseconds - r))
    }

    // MARK: - Locations and Unix values

    /// The same instant in UTC.
    public func utc() -> GoTime { inLocation(.utc) }

    /// The same instant in the local zone.
    public func local() -> GoTime { inLocation(.local) }

    /// The same instant in `location`.
    public func inLocation(_ location: GoLocation) -> GoTime {
        var result = self
        result.location = location
        return result
    }

    /// Seconds since the Unix epoch (Go's `Unix`).
    public var unix: Int64 { seconds }

    /// Milliseconds since the Unix epoch (Go's `UnixMilli`).
    public var unixMilli: Int64 { seconds &* 1_000 &+ Int64(nanoseconds / 1_000_000) }

    /// Microseconds since the Unix epoch (Go's `UnixMicro`).
    public var unixMicro: Int64 { seconds &* 1_000_000 &+ Int64(nanoseconds / 1_000) }

    /// Nanoseconds since the Unix epoch; wraps outside years 1678...2262 like Go's `UnixNano`.
    public var unixNano: Int64 { seconds &* 1_000_000_000 &+ Int64(nanoseconds) }

    /// Go's `Time.String()`: `"2006-01-02 15:04:05.999999999 -0700 MST"`.
    public var description: String {
        format("2006-01-02 15:04:05.999999999 -0700 MST")
    }
}
