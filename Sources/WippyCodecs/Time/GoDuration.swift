/// A signed span of time in nanoseconds, like Go's `time.Duration`.
///
/// The range is that of `Int64`: about ±292 years. ``description`` prints Go's `Duration.String()`
/// form (`"1h30m0s"`, `"1.5µs"`) and ``parse(_:)`` accepts exactly what Go's `time.ParseDuration` accepts.
public struct GoDuration: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The duration in nanoseconds.
    public var nanoseconds: Int64

    /// Creates a duration of `nanoseconds` nanoseconds.
    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// Creates a duration of `nanoseconds` nanoseconds.
    public init(_ nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// One nanosecond (`time.NANOSECOND`).
    public static let nanosecond = GoDuration(1)
    /// One microsecond (`time.MICROSECOND`).
    public static let microsecond = GoDuration(1_000)
    /// One millisecond (`time.MILLISECOND`).
    public static let millisecond = GoDuration(1_000_000)
    /// One second (`time.SECOND`).
    public static let second = GoDuration(1_000_000_000)
    /// One minute (`time.MINUTE`).
    public static let minute = GoDuration(60_000_000_000)
    /// One hour (`time.HOUR`).
    public static let hour = GoDuration(3_600_000_000_000)
    /// The zero duration.
    public static let zero = GoDuration(0)
    /// The smallest representable duration (Go's `minDuration`).
    public static let min = GoDuration(Int64.min)
    /// The largest representable duration (Go's `maxDuration`).
    public static let max = GoDuration(Int64.max)

    /// Whole microseconds, truncated toward zero (Go's `Microseconds()`).
    public var microseconds: Int64 { nanoseconds / 1_000 }

    /// Whole milliseconds, truncated toward zero (Go's `Milliseconds()`).
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }

    /// The duration as a floating-point number of seconds (Go's `Seconds()`).
    public var seconds: Double {
        let whole = nanoseconds / 1_000_000_000
        let rest = nanoseconds % 1_000_000_000
        return Double(whole) + Double(rest) / 1e9
    }

    /// The duration as a floating-point number of minutes (Go's `Minutes()`).
    public var minutes: Double {
        let whole = nanoseconds / 60_000_000_000
        let rest = nanoseconds % 60_000_000_000
        return Double(whole) + Double(rest) / (60 * 1e9)
    }

    /// The duration as a floating-point number of hours (Go's `Hours()`).
    public var hours: Double {
        let whole = nanoseconds / 3_600_000_000_000
        let rest = nanoseconds % 3_600_000_000_000
        return Double(whole) + Double(rest) / (60 * 60 * 1e9)
    }

    /// The absolute value; `GoDuration.min` becomes `GoDuration.max` (Go's `Abs()`).
    public var magnitude: GoDuration {
        if nanoseconds >= 0 { return self }
        if nanoseconds == Int64.min { return .max }
        return GoDuration(-nanoseconds)
    }

    /// Rounds toward zero to a multiple of `unit`; `unit <= 0` returns `self` (Go's `Truncate`).
    public func truncated(to unit: GoDuration) -> GoDuration {
        if unit.nanoseconds <= 0 { return self }
        return GoDuration(nanoseconds - nanoseconds % unit.nanoseconds)
    }

    /// Rounds to the nearest multiple of `unit`, halfway values away from zero, saturating at the
    /// representable range; `unit <= 0` returns `self` (Go's `Round`).
    public func rounded(to unit: GoDuration) -> GoDuration {
        let m = unit.nanoseconds
        if m <= 0 { return self }
        let d = nanoseconds
        var r = d % m
        if d < 0 {
            r = -r
            if Self.lessThanHalf(r, m) { return GoDuration(d + r) }
            let d1 = d &- m &+ r
            return d1 < d ? GoDuration(d1) : .min
        }
        if Self.lessThanHalf(r, m) { return GoDuration(d - r) }
        let d1 = d &+ m &- r
        return d1 > d ? GoDuration(d1) : .max
    }

    /// Go's `lessThanHalf`: `x + x < y` computed without overflow.
    static func lessThanHalf(_ x: Int64, _ y: Int64) -> Bool {
        UInt64(bitPattern: x) &+ UInt64(bitPattern: x) < UInt64(bitPattern: y)
    }

    public static func < (lhs: GoDuration, rhs: GoDuration) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    /// Go's `Duration.String()`: `"72h3m0.5s"`, `"1.5µs"`, `"0s"`; the leading unit is the largest
    /// non-zero one, and durations under a second use `ms`, `µs` (U+00B5) or `ns`.
    public var description: String {
        // The longest form is "-2562047h47m16.854775808s" (25 bytes).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let start = format(into: buffer)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[start...]), as: UTF8.self)
        }
    }

    /// Writes Go's form right-aligned into `buf` (at least 32 bytes) and returns its start index.
    func format(into buf: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var w = buf.count
        var u = nanoseconds.magnitude
        let negative = nanoseconds < 0
        if u < 1_000_000_000 {
            var precision = 0
            w -= 1
            buf[w] = UInt8(ascii: "s")
            w -= 1
            if u == 0 {
                buf[w] = UInt8(ascii: "0")
                return w
            } else if u < 1_000 {
                precision = 0
                buf[w] = UInt8(ascii: "n")
            } else if u < 1_000_000 {
                precision = 3
                // U+00B5 MICRO SIGN is 0xC2 0xB5 in UTF-8.
                buf[w] = 0xB5
                w -= 1
                buf[w] = 0xC2
            } else {
                precision = 6
                buf[w] = UInt8(ascii: "m")
            }
            (w, u) = Self.formatFraction(buf, end: w, value: u, precision: precision)
            w = Self.formatInteger(buf, end: w, value: u)
        } else {
            w -= 1
            buf[w] = UInt8(ascii: "s")
            (w, u) = Self.formatFraction(buf, end: w, value: u, precision: 9)
            w = Self.formatInteger(buf, end: w, value: u % 60)
            u /= 60
            if u > 0 {
                w -= 1
                buf[w] = UInt8(ascii: "m")
                w = Self.formatInteger(buf, end: w, value: u % 60)
                u /= 60
                if u > 0 {
                    w -= 1
                    buf[w] = UInt8(ascii: "h")
                    w = Self.formatInteger(buf, end: w, value: u)
                }
            }
        }
        if negative {
            w -= 1
            buf[w] = UInt8(ascii: "-")
        }
        return w
    }

    /// Go's `fmtFrac`: writes the fraction of `value` with `precision` digits, omitting trailing
    /// zeros and the point when the fraction is zero; returns the new start and `value / 10^precision`.
    private static func formatFraction(
        _ buf: UnsafeMutableBufferPointer<UInt8>, end: Int, value: UInt64, precision: Int
    ) -> (Int, UInt64) {
        var w = end
        var v = value
        var printing = false
        for _ in 0..<precision {
            let digit = v % 10
            printing = printing || digit != 0
            if printing {
                w -= 1
                buf[w] = UInt8(truncatingIfNeeded: digit) &+ UInt8(ascii: "0")
            }
            v /= 10
        }
        if printing {
            w -= 1
            buf[w] = UInt8(ascii: ".")
        }
        return (w, v)
    }

    /// Go's `fmtInt`: writes `value` in decimal ending at `end`; returns the new start.
    private static func formatInteger(_ buf: UnsafeMutableBufferPointer<UInt8>, end: Int, value: UInt64) -> Int {
        var w = end
        var v = value
        if v == 0 {
            w -= 1
            buf[w] = UInt8(ascii: "0")
            return w
        }
        while v > 0 {
            w -= 1
            buf[w] = UInt8(truncatingIfNeeded: v % 10) &+ UInt8(ascii: "0")
            v /= 10
        }
        return w
    }
}
