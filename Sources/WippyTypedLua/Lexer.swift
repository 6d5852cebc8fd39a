/// Splits typed-Lua source into tokens, one at a time, following section 1 of the spec.
///
/// The lexer works on raw bytes (Lua source need not be UTF-8). It skips whitespace and comments,
/// recognises the dialect punctuation (`->`, `?:`, `?`, `!`, `@`) and decides between a `::name::`
/// label and the `::` cast operator. Errors are thrown as ``ParseFailure`` at the offending byte.
struct Lexer {
    let source: [UInt8]
    /// Offset of the next byte to read.
    var index: Int = 0

    init(source: [UInt8]) {
        self.source = source
    }

    /// Reads the next token; at the end of input returns `.eof` (repeatedly).
    mutating func next() throws(ParseFailure) -> Token {
        try skipTrivia()
        let start = index
        guard start < source.count else { return Token(kind: .eof, start: start, end: start) }
        let byte = source[start]
        if Lexer.isNameStart(byte) { return lexName() }
        if Lexer.isDigit(byte) { return try lexNumber() }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try lexShortString()
        case UInt8(ascii: "["):
            if let level = try longBracketLevel(at: start) {
                try skipLongBracket(level: level, openerStart: start, what: "long string")
                return Token(kind: .string, start: start, end: index)
            }
            return single(.leftBracket)
        case UInt8(ascii: "."):
            if peekByte(1) == UInt8(ascii: ".") {
                return peekByte(2) == UInt8(ascii: ".") ? advance(3, .ellipsis) : advance(2, .concat)
            }
            if let next = peekByte(1), Lexer.isDigit(next) { return try lexNumber() }
            return single(.dot)
        case UInt8(ascii: "-"):
            return peekByte(1) == UInt8(ascii: ">") ? advance(2, .arrow) : single(.minus)
        case UInt8(ascii: "="):
            return peekByte(1) == UInt8(ascii: "=") ? advance(2, .equalEqual) : single(.assign)
        case UInt8(ascii: "<"):
            switch peekByte(1) {
            case UInt8(ascii: "="): return advance(2, .lessEqual)
            case UInt8(ascii: "<"): return advance(2, .shiftLeft)
            default: return single(.less)
            }
        case UInt8(ascii: ">"):
            switch peekByte(1) {
            case UInt8(ascii: "="): return advance(2, .greaterEqual)
            case UInt8(ascii: ">"): return advance(2, .shiftRight)
            default: return single(.greater)
            }
        case UInt8(ascii: "~"):
            return peekByte(1) == UInt8(ascii: "=") ? advance(2, .notEqual) : single(.tilde)
        case UInt8(ascii: "/"):
            return peekByte(1) == UInt8(ascii: "/") ? advance(2, .doubleSlash) : single(.slash)
        case UInt8(ascii: ":"):
            guard peekByte(1) == UInt8(ascii: ":") else { return single(.colon) }
            if let end = labelEnd(from: start) {
                index = end
                return Token(kind: .label, start: start, end: end)
            }
            return advance(2, .doubleColon)
        case UInt8(ascii: "?"):
            return peekByte(1) == UInt8(ascii: ":") ? advance(2, .questionColon) : single(.question)
        case UInt8(ascii: "+"): return single(.plus)
        case UInt8(ascii: "*"): return single(.star)
        case UInt8(ascii: "%"): return single(.percent)
        case UInt8(ascii: "^"): return single(.caret)
        case UInt8(ascii: "#"): return single(.hash)
        case UInt8(ascii: "&"): return single(.ampersand)
        case UInt8(ascii: "|"): return single(.pipe)
        case UInt8(ascii: "("): return single(.leftParen)
        case UInt8(ascii: ")"): return single(.rightParen)
        case UInt8(ascii: "{"): return single(.leftBrace)
        case UInt8(ascii: "}"): return single(.rightBrace)
        case UInt8(ascii: "]"): return single(.rightBracket)
        case UInt8(ascii: ";"): return single(.semicolon)
        case UInt8(ascii: ","): return single(.comma)
        case UInt8(ascii: "!"): return single(.bang)
        case UInt8(ascii: "@"): return single(.at)
        default:
            throw ParseFailure(offset: start, message: "unexpected character \(Lexer.describeByte(byte))")
        }
    }

    // MARK: - Small helpers

    func peekByte(_ distance: Int) -> UInt8? {
        let position = index + distance
        return position < source.count ? source[position] : nil
    }

    private mutating func single(_ kind: TokenKind) -> Token {
        advance(1, kind)
    }

    private mutating func advance(_ length: Int, _ kind: TokenKind) -> Token {
        let start = index
        index += length
        return Token(kind: kind, start: start, end: index)
    }

    private mutating func lexName() -> Token {
        let start = index
        index += 1
        while index < source.count, Lexer.isNameChar(source[index]) { index += 1 }
        let kind = Lexer.keyword(in: source, start, index) ?? .name
        return Token(kind: kind, start: start, end: index)
    }

    /// Skips spaces, tabs, line breaks and comments. Form feed and vertical tab are errors, as in go-lua.
    private mutating func skipTrivia() throws(ParseFailure) {
        while index < source.count {
            switch source[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                index += 1
            case 0x0B, 0x0C:
                throw ParseFailure(
                    offset: index,
                    message: "\(Lexer.describeByte(source[index])) is not whitespace in Wippy Lua; use spaces")
            case UInt8(ascii: "-") where peekByte(1) == UInt8(ascii: "-"):
                try skipComment()
            default:
                return
            }
        }
    }

    private mutating func skipComment() throws(ParseFailure) {
        let start = index
        index += 2
        if peekByte(0) == UInt8(ascii: "[") {
            let next = peekByte(1)
            if next == UInt8(ascii: "[") || next == UInt8(ascii: "=") {
                guard let level = longBracketOpener(at: index), level >= 0 else {
                    throw ParseFailure(offset: start, message: "malformed long comment opener; write '--[[' or '--[==['")
                }
                try skipLongBracket(level: level, openerStart: start, what: "long comment")
                return
            }
        }
        while index < source.count, source[index] != UInt8(ascii: "\n"), source[index] != UInt8(ascii: "\r") {
            index += 1
        }
    }

    /// The end of a `::name::` label starting at `start`, if the bytes form one on a single line.
    ///
    /// Spaces and tabs may surround the name; the whole label must fit in 256 bytes (go-lua's window).
    private func labelEnd(from start: Int) -> Int? {
        let limit = min(source.count, start + 256)
        var position = start + 2
        func skipBlanks() {
            while position < limit, source[position] == UInt8(ascii: " ") || source[position] == UInt8(ascii: "\t") {
                position += 1
            }
        }
        skipBlanks()
        guard position < limit, Lexer.isNameStart(source[position]) else { return nil }
        while position < limit, Lexer.isNameChar(source[position]) { position += 1 }
        skipBlanks()
        guard position + 1 < limit, source[position] == UInt8(ascii: ":"), source[position + 1] == UInt8(ascii: ":")
        else { return nil }
        return position + 2
    }
}
