public import WippyCore

extension GoDuration {
    /// Parses a Go duration string exactly like Go's `time.ParseDuration`.
    ///
    /// The grammar is `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or the bare string `"0"`. Units are `ns`,
    /// `us`, `µs` (U+00B5), `μs` (U+03BC), `ms`, `s`, `m` and `h`. Examples: `"1h30m"`, `"-1.5h"`,
    /// `"300ms"`, `"2h45m"`, `".5s"`.
    ///
    /// - Throws: a ``WippyError`` of kind `Invalid` with Go's message: `time: invalid duration "x"`,
    ///   `time: missing unit in duration "1"`, or `time: unknown unit "d" in duration "1d"`.
    ///   Values beyond ±2^63-1 ns are `time: invalid duration`.
    public static func parse(_ string: String) throws(WippyError) -> GoDuration {
        var copy = string
        let result: Result<GoDuration, WippyError> = copy.withUTF8 { bytes in
            parse(bytes: bytes)
        }
        return try result.get()
    }

    /// Parses UTF-8 bytes; see ``parse(_:)``.
    static func parse(bytes s: UnsafeBufferPointer<UInt8>) -> Result<GoDuration, WippyError> {
        func invalid() -> Result<GoDuration, WippyError> {
            .failure(.invalid("time: invalid duration " + GoQuote.quote(s)))
        }
        let limit: UInt64 = 1 << 63
        var i = 0
        let n = s.count
        var negative = false
        if n > 0, s[0] == UInt8(ascii: "-") || s[0] == UInt8(ascii: "+") {
            negative = s[0] == UInt8(ascii: "-")
            i = 1
        }
        if n - i == 1, s[i] == UInt8(ascii: "0") {
            return .success(.zero)
        }
        if i == n {
            return invalid()
        }
        var total: UInt64 = 0
        while i < n {
            // The next character must be [0-9.].
            guard s[i] == UInt8(ascii: ".") || isDigit(s[i]) else { return invalid() }
            // Consume [0-9]*.
            let intStart = i
            var v: UInt64 = 0
            while i < n, isDigit(s[i]) {
                if v > limit / 10 { return invalid() }
                v = v * 10 + UInt64(s[i] - UInt8(ascii: "0"))
                if v > limit { return invalid() }
                i += 1
            }
            let hasIntegerPart = i != intStart
            // Consume (\.[0-9]*)?.
            var fraction: UInt64 = 0
            var scale: Double = 1
            var hasFractionPart = false
            if i < n, s[i] == UInt8(ascii: ".") {
                i += 1
                let fracStart = i
                var overflow = false
                while i < n, isDigit(s[i]) {
                    defer { i += 1 }
                    if overflow { continue }
                    if fraction > (limit - 1) / 10 {
                        overflow = true
                        continue
                    }
                    let y = fraction * 10 + UInt64(s[i] - UInt8(ascii: "0"))
                    if y > limit {
                        overflow = true
                        continue
                    }
                    fraction = y
                    scale *= 10
                }
                hasFractionPart = i != fracStart
            }
            if !hasIntegerPart && !hasFractionPart {
                return invalid()
            }
            // Consume the unit.
            let unitStart = i
            while i < n, s[i] != UInt8(ascii: "."), !isDigit(s[i]) {
                i += 1
            }
            if i == unitStart {
                return .failure(.invalid("time: missing unit in duration " + GoQuote.quote(s)))
            }
            let unitBytes = UnsafeBufferPointer(rebasing: s[unitStart..<i])
            guard let unit = unitNanoseconds(unitBytes) else {
                return .failure(
                    .invalid("time: unknown unit " + GoQuote.quote(unitBytes) + " in duration " + GoQuote.quote(s))
                )
            }
            if v > limit / unit { return invalid() }
            v *= unit
            if fraction > 0 {
                // float64 keeps fractions of hours nanosecond-accurate (as in Go).
                v += UInt64(Double(fraction) * (Double(unit) / scale))
                if v > limit { return invalid() }
            }
            total += v
            if total > limit { return invalid() }
        }
        if negative {
            return .success(GoDuration(Int64(bitPattern: 0 &- total)))
        }
        if total > limit - 1 { return invalid() }
        return .success(GoDuration(Int64(total)))
    }

    private static func isDigit(_ c: UInt8) -> Bool {
        c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")
    }

    /// The length of a unit in nanoseconds, or `nil` for an unknown unit.
    private static func unitNanoseconds(_ u: UnsafeBufferPointer<UInt8>) -> UInt64? {
        switch u.count {
        case 1:
            switch u[0] {
            case UInt8(ascii: "s"): return 1_000_000_000
            case UInt8(ascii: "m"): return 60_000_000_000
            case UInt8(ascii: "h"): return 3_600_000_000_000
            default: return nil
            }
        case 2:
            guard u[1] == UInt8(ascii: "s") else { return nil }
            switch u[0] {
            case UInt8(ascii: "n"): return 1
            case UInt8(ascii: "u"): return 1_000
            case UInt8(ascii: "m"): return 1_000_000
            default: return nil
            }
        case 3:
            // "µs" (U+00B5: C2 B5) or "μs" (U+03BC: CE BC).
            guard u[2] == UInt8(ascii: "s") else { return nil }
            if (u[0] == 0xC2 && u[1] == 0xB5) || (u[0] == 0xCE && u[1] == 0xBC) { return 1_000 }
            return nil
        default:
            return nil
        }
    }
}
