import WippyCore

extension JSONParser {
    /// Exact powers of ten that a `Double` holds without rounding.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses a number starting at `position`.
    ///
    /// A number without fraction or exponent that fits in `Int64` becomes ``Payload/int(_:)``; anything else becomes
    /// ``Payload/double(_:)``. Simple decimals are converted exactly with one multiplication or division (Clinger's
    /// fast path); the rest go through the standard library's correctly rounded parser.
    mutating func parseNumber() throws(WippyError) -> Payload {
        let start = position
        let count = input.count
        var negative = false
        if input[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
            guard position < count else { throw .jsonUnexpectedEnd(offset: position) }
        }
        var mantissa: UInt64 = 0
        var truncated = false  // more significant digits than `mantissa` holds
        var decimalExponent = 0
        @inline(__always) func accumulate(_ digit: UInt8) -> Bool {
            let value = UInt64(digit &- UInt8(ascii: "0"))
            if mantissa < 1_844_674_407_370_955_161 || (mantissa == 1_844_674_407_370_955_161 && value <= 5) {
                mantissa = mantissa &* 10 &+ value
                return true
            }
            truncated = true
            return false
        }

        let first = input[position]
        if first == UInt8(ascii: "0") {
            position += 1
        } else if first >= UInt8(ascii: "1") && first <= UInt8(ascii: "9") {
            while position < count, case let byte = input[position], byte >= 0x30 && byte <= 0x39 {
                if !accumulate(byte) { decimalExponent += 1 }
                position += 1
            }
        } else {
            throw .jsonInvalidCharacter(first, "in numeric literal", offset: position)
        }

        var isInteger = true
        if position < count && input[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < count else { throw .jsonUnexpectedEnd(offset: position) }
            guard input[position] >= 0x30 && input[position] <= 0x39 else {
                throw .jsonInvalidCharacter(input[position], "after decimal point in numeric literal", offset: position)
            }
            while position < count, case let byte = input[position], byte >= 0x30 && byte <= 0x39 {
                if accumulate(byte) { decimalExponent -= 1 }
                position += 1
            }
        }

        if position < count && (input[position] == UInt8(ascii: "e") || input[position] == UInt8(ascii: "E")) {
            isInteger = false
            position += 1
            var exponentNegative = false
            if position < count && (input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-")) {
                exponentNegative = input[position] == UInt8(ascii: "-")
                position += 1
            }
            guard position < count else { throw .jsonUnexpectedEnd(offset: position) }
            guard input[position] >= 0x30 && input[position] <= 0x39 else {
                throw .jsonInvalidCharacter(input[position], "in exponent of numeric literal", offset: position)
            }
            var exponent = 0
            while position < count, case let byte = input[position], byte >= 0x30 && byte <= 0x39 {
                if exponent < 100_000 { exponent = exponent * 10 + Int(byte - 0x30) }
                position += 1
            }
            decimalExponent += exponentNegative ? -exponent : exponent
        }

        if isInteger && !truncated {
            if negative {
                if mantissa <= UInt64(Int64.max) + 1 { return .int(Int64(bitPattern: 0 &- mantissa)) }
            } else if mantissa <= UInt64(Int64.max) {
                return .int(Int64(mantissa))
            }
        }
        if !truncated && mantissa <= 1 << 53 && decimalExponent >= -22 && decimalExponent <= 22 {
            var value = Double(mantissa)
            if decimalExponent < 0 {
                value /= Self.exactPowersOfTen[-decimalExponent]
            } else {
                value *= Self.exactPowersOfTen[decimalExponent]
            }
            return .double(negative ? -value : value)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw .jsonSyntax("number \(text) out of range", offset: start)
        }
        return .double(value)
    }
}
