extension Lexer {
    // MARK: - Numbers

    /// Lexes a decimal or hexadecimal numeral.
    ///
    /// Hexadecimal literals are integers only (no fraction, no `p` exponent). A numeral directly followed by
    /// a letter, digit, `_` or `.` is rejected, as Lua 5.4 does, so the output never holds a numeral that
    /// `luac` would read differently.
    mutating func lexNumber() throws(ParseFailure) -> Token {
        let start = index
        if source[index] == UInt8(ascii: "0"), let x = peekByte(1), x | 0x20 == UInt8(ascii: "x") {
            index += 2
            let digitsStart = index
            while index < source.count, Lexer.isHexDigit(source[index]) { index += 1 }
            if index < source.count, source[index] == UInt8(ascii: ".") || source[index] | 0x20 == UInt8(ascii: "p") {
                throw ParseFailure(
                    offset: start, message: "hexadecimal float literals are not supported; write a decimal number")
            }
            if index == digitsStart { throw malformedNumber(from: start) }
        } else {
            while index < source.count, Lexer.isDigit(source[index]) { index += 1 }
            if index < source.count, source[index] == UInt8(ascii: ".") {
                index += 1
                while index < source.count, Lexer.isDigit(source[index]) { index += 1 }
            }
            if index < source.count, source[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < source.count, source[index] == UInt8(ascii: "+") || source[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard index < source.count, Lexer.isDigit(source[index]) else {
                    throw ParseFailure(offset: start, message: "malformed exponent in number \(quoted(start, index))")
                }
                while index < source.count, Lexer.isDigit(source[index]) { index += 1 }
            }
        }
        if index < source.count, Lexer.isNameChar(source[index]) || source[index] == UInt8(ascii: ".") {
            throw malformedNumber(from: start)
        }
        return Token(kind: .number, start: start, end: index)
    }

    private mutating func malformedNumber(from start: Int) -> ParseFailure {
        while index < source.count, Lexer.isNameChar(source[index]) || source[index] == UInt8(ascii: ".") {
            index += 1
        }
        return ParseFailure(offset: start, message: "malformed number \(quoted(start, index))")
    }

    private func quoted(_ start: Int, _ end: Int) -> String {
        "'" + String(decoding: source[start..<min(end, start + 40)], as: UTF8.self) + "'"
    }

    // MARK: - Strings

    /// Lexes a quoted string and notes whether it has an escape Lua 5.4 reads differently (rule T5).
    ///
    /// Escapes: `\a \b \f \n \r \t \v \\ \" \'`, backslash + line break, `\d` to `\ddd` (at most 255);
    /// any other escaped character stands for itself, so `"\x41"` is `x41` in Wippy.
    mutating func lexShortString() throws(ParseFailure) -> Token {
        let start = index
        let quote = source[index]
        index += 1
        var needsRewrite = false
        while true {
            guard index < source.count else { throw unfinishedString(start) }
            let byte = source[index]
            if byte == quote {
                index += 1
                break
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { throw unfinishedString(start) }
            guard byte == UInt8(ascii: "\\") else {
                index += 1
                continue
            }
            let escapeStart = index
            index += 1
            guard index < source.count else { throw unfinishedString(start) }
            let escaped = source[index]
            switch escaped {
            case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"),
                UInt8(ascii: "t"), UInt8(ascii: "v"), UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"):
                index += 1
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
                if index < source.count, source[index] != escaped,
                    source[index] == UInt8(ascii: "\n") || source[index] == UInt8(ascii: "\r")
                {
                    index += 1
                }
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                var value = 0
                var count = 0
                while count < 3, index < source.count, Lexer.isDigit(source[index]) {
                    value = value * 10 + Int(source[index] - UInt8(ascii: "0"))
                    index += 1
                    count += 1
                }
                if value > 255 {
                    throw ParseFailure(offset: escapeStart, message: "decimal escape too large (at most \\255)")
                }
            default:
                needsRewrite = true
                index += 1
            }
        }
        return Token(kind: .string, start: start, end: index, needsRewrite: needsRewrite)
    }

    private func unfinishedString(_ start: Int) -> ParseFailure {
        ParseFailure(offset: start, message: "unfinished string; close it with \(quoteName(source[start])) on the same line")
    }

    private func quoteName(_ quote: UInt8) -> String {
        quote == UInt8(ascii: "'") ? "'" : "\""
    }

    // MARK: - Long brackets

    /// The level of a long bracket `[`, `=`*, `[` opening at `start`; `nil` if `start` is a plain `[`.
    ///
    /// Throws for `[=` not followed by more `=` and a `[`.
    func longBracketLevel(at start: Int) throws(ParseFailure) -> Int? {
        let level = longBracketOpener(at: start)
        if level == -1 {
            throw ParseFailure(offset: start, message: "invalid long string delimiter; write '[==[' with a second '['")
        }
        return level
    }

    /// The level of a long bracket opening at `start`, `nil` for a plain `[`, -1 for `[=` without a second `[`.
    func longBracketOpener(at start: Int) -> Int? {
        var position = start + 1
        var level = 0
        while position < source.count, source[position] == UInt8(ascii: "=") {
            level += 1
            position += 1
        }
        if position < source.count, source[position] == UInt8(ascii: "[") { return level }
        return level == 0 ? nil : -1
    }

    /// Skips a long string or comment whose opener of the given level starts at `index`.
    mutating func skipLongBracket(level: Int, openerStart: Int, what: String) throws(ParseFailure) {
        var position = index + level + 2
        while position < source.count {
            if source[position] == UInt8(ascii: "]") {
                var equals = 0
                var probe = position + 1
                while probe < source.count, source[probe] == UInt8(ascii: "=") {
                    equals += 1
                    probe += 1
                }
                if equals == level, probe < source.count, source[probe] == UInt8(ascii: "]") {
                    index = probe + 1
                    return
                }
                position = probe
            } else {
                position += 1
            }
        }
        let closer = "]" + String(repeating: "=", count: level) + "]"
        throw ParseFailure(offset: openerStart, message: "unfinished \(what); close it with '\(closer)'")
    }
}
