/// Writes numbers the way Wippy's `json.encode` does.
///
/// Integers are written exactly. A float with an integral value below 2^53 in magnitude is written as an integer
/// (`4.0` → `4`, `-0.0` → `0`). Other finite floats use the shortest digits that read back as the same `Double`,
/// laid out like Go's `encoding/json` (and JavaScript): plain decimal notation, switching to exponent notation only
/// when the magnitude is below 1e-6 or at least 1e21, with an unpadded exponent (`1e-7`, `1.5e+300`, `1e+21`).
/// NaN and the infinities become `null`.
enum JSONNumberFormatter {
    private static let twoPow53 = 9_007_199_254_740_992.0

    /// Appends the decimal digits of `value`.
    static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        if magnitude < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var index = 20
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeMutableBufferPointer(rebasing: buffer[index..<20]))
        }
    }

    /// Appends `value` in JSON number form, or `null` when it is not finite.
    static func appendDouble(_ value: Double, to out: inout [UInt8]) {
        guard value.isFinite else {
            out.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
            return
        }
        let magnitude = value.magnitude
        if magnitude < twoPow53, value.rounded(.towardZero) == value {
            appendInteger(Int64(value), to: &out)
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            let (count, point) = shortestDigits(magnitude, into: buffer)
            let digits = UnsafeBufferPointer(rebasing: buffer[0..<count])
            if magnitude < 1e-6 || magnitude >= 1e21 {
                // d[.ddd]e±x
                out.append(digits[0])
                if count > 1 {
                    out.append(UInt8(ascii: "."))
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[1...]))
                }
                let exponent = point - 1
                out.append(UInt8(ascii: "e"))
                out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                if exponent >= 0 && exponent < 10 { out.append(UInt8(ascii: "0")) }
                appendInteger(Int64(exponent.magnitude), to: &out)
            } else if point <= 0 {
                out.append(UInt8(ascii: "0"))
                out.append(UInt8(ascii: "."))
                for _ in 0..<(-point) { out.append(UInt8(ascii: "0")) }
                out.append(contentsOf: digits)
            } else if point >= count {
                out.append(contentsOf: digits)
                for _ in 0..<(point - count) { out.append(UInt8(ascii: "0")) }
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[..<point]))
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[point...]))
            }
        }
    }

    /// `value` as ``appendDouble(_:to:)`` writes it.
    static func string(_ value: Double) -> String {
        var out: [UInt8] = []
        appendDouble(value, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes the shortest round-trip decimal digits of a positive finite `value` into `buffer` (no leading or
    /// trailing zeros) and returns their count and the position of the decimal point:
    /// `value == 0.d₁d₂…dₙ × 10^point`.
    ///
    /// Swift's `description` already produces the shortest digits that round-trip (closest to the exact value when
    /// several qualify, as Go's `strconv` does); only the layout differs, so it is re-parsed here. A `Double` never
    /// needs more than 17 significant digits, so 32 bytes of buffer are plenty.
    static func shortestDigits(_ value: Double, into buffer: UnsafeMutableBufferPointer<UInt8>) -> (count: Int, point: Int) {
        var count = 0
        var integerDigits = 0
        var seenPoint = false
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        var leadingZeros = 0
        for byte in value.description.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                } else {
                    if !seenPoint { integerDigits += 1 }
                    if count == 0 && byte == UInt8(ascii: "0") {
                        leadingZeros += 1
                    } else if count < buffer.count {
                        buffer[count] = byte
                        count += 1
                    }
                }
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-"): if inExponent { exponentSign = -1 }
            default: break
            }
        }
        while count > 1 && buffer[count - 1] == UInt8(ascii: "0") { count -= 1 }
        return (count, integerDigits + exponentSign * exponent - leadingZeros)
    }
}
