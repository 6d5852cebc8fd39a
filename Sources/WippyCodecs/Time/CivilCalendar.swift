/// Proleptic Gregorian calendar arithmetic on day numbers counted from 1970-01-01 (day 0).
///
/// Arithmetic wraps instead of trapping, so absurd inputs (years beyond ±2^40) give garbage
/// rather than a crash, like Go's unchecked `int` arithmetic.
enum CivilCalendar {
    static let secondsPerDay: Int64 = 86_400

    /// Calendar fields of one day.
    struct Day {
        var year: Int
        var month: Int  // 1...12
        var day: Int  // 1...31
        var yearDay: Int  // 1...366
    }

    /// Clock and calendar fields of one local wall-clock second.
    struct Fields {
        var year: Int
        var month: Int
        var day: Int
        var yearDay: Int
        var hour: Int
        var minute: Int
        var second: Int
        var weekday: Int  // 0 = Sunday
        var dayNumber: Int64  // days since 1970-01-01
    }

    /// Floor division (rounds toward negative infinity); `b > 0`.
    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b < 0) ? q - 1 : q
    }

    /// Floor modulo (result in `0..<b`); `b > 0`.
    @inline(__always)
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r < 0 ? r + b : r
    }

    static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Days in `month` (1...12) of `year`.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days before the first of `month` (1...12) in a non-leap year.
    static func daysBefore(month: Int) -> Int {
        cumulativeDays[month - 1]
    }

    private static let cumulativeDays = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365]

    /// The day number of `year`-`month`-`day`; `month` must be 1...12, `day` may be any value.
    static func dayNumber(year: Int, month: Int, day: Int) -> Int64 {
        // Howard Hinnant's days_from_civil.
        let y = Int64(year) &- (month <= 2 ? 1 : 0)
        let era = (y >= 0 ? y : y &- 399) / 400
        let yoe = y &- era &* 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era &* 146_097 &+ doe &- 719_468 &+ (Int64(day) &- 1)
    }

    /// The calendar date of day number `days`.
    static func date(dayNumber days: Int64) -> Day {
        // Howard Hinnant's civil_from_days.
        let z = days &+ 719_468
        let era = (z >= 0 ? z : z &- 146_096) / 146_097
        let doe = z &- era &* 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(truncatingIfNeeded: yoe &+ era &* 400 &+ (m <= 2 ? 1 : 0))
        let yday = daysBefore(month: m) + d + (m > 2 && isLeap(year) ? 1 : 0)
        return Day(year: year, month: m, day: d, yearDay: yday)
    }

    /// Weekday of day number `days` (0 = Sunday); 1970-01-01 was a Thursday.
    static func weekday(dayNumber days: Int64) -> Int {
        Int(floorMod(days &+ 4, 7))
    }

    /// All fields of the wall-clock second `localSeconds` (seconds since 1970-01-01 00:00 local).
    static func fields(localSeconds: Int64) -> Fields {
        let days = floorDiv(localSeconds, secondsPerDay)
        let secondOfDay = Int(localSeconds &- days &* secondsPerDay)
        let date = date(dayNumber: days)
        return Fields(
            year: date.year, month: date.month, day: date.day, yearDay: date.yearDay,
            hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60, second: secondOfDay % 60,
            weekday: weekday(dayNumber: days), dayNumber: days
        )
    }

    /// Go's `norm`: moves whole multiples of `base` from `lo` into `hi` so that `0 <= lo < base`.
    @inline(__always)
    static func normalize(_ hi: inout Int, _ lo: inout Int, base: Int) {
        if lo < 0 {
            let n = (-(lo &+ 1)) / base + 1
            hi = hi &- n
            lo = lo &+ n &* base
        }
        if lo >= base {
            let n = lo / base
            hi = hi &+ n
            lo = lo &- n &* base
        }
    }
}
