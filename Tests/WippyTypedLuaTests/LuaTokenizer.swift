/// A tiny Lua 5.4 tokenizer for comparing translations as the spec asks: line by line, token by token,
/// ignoring whitespace and comments.
struct LuaTokenizer {
    struct Token: Equatable, CustomStringConvertible {
        var line: Int
        var text: String
        var description: String { "\(line):\(text)" }
    }

    private static let operators = [
        "...", "..", "==", "~=", "<=", ">=", "<<", ">>", "//", "::",
    ].map { Array($0.utf8) }

    /// Number of lines: line breaks (LF, CR, CR LF, LF CR) plus one.
    static func lineCount(_ text: String) -> Int {
        var tokenizer = LuaTokenizer(Array(text.utf8))
        while tokenizer.index < tokenizer.bytes.count {
            if !tokenizer.skipLineBreak() { tokenizer.index += 1 }
        }
        return tokenizer.line
    }

    /// The tokens of `text`, each with the line it starts on.
    static func tokens(_ text: String) -> [Token] {
        var tokenizer = LuaTokenizer(Array(text.utf8))
        return tokenizer.run()
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func byte(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func skipLineBreak() -> Bool {
        guard let first = byte(), first == 10 || first == 13 else { return false }
        index += 1
        if let second = byte(), second != first, second == 10 || second == 13 { index += 1 }
        line += 1
        return true
    }

    private func longBracketLevel() -> Int? {
        guard byte() == UInt8(ascii: "[") else { return nil }
        var level = 0
        while byte(1 + level) == UInt8(ascii: "=") { level += 1 }
        return byte(1 + level) == UInt8(ascii: "[") ? level : nil
    }

    private mutating func skipLongBracket(_ level: Int) {
        index += level + 2
        while index < bytes.count {
            if skipLineBreak() { continue }
            if byte() == UInt8(ascii: "]") {
                var equals = 0
                while byte(1 + equals) == UInt8(ascii: "=") { equals += 1 }
                if equals == level, byte(1 + equals) == UInt8(ascii: "]") {
                    index += level + 2
                    return
                }
            }
            index += 1
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= 48 && byte <= 57
    }

    private static func isWord(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte | 0x20 >= 97 && byte | 0x20 <= 122) || byte == 95
    }

    private mutating func run() -> [Token] {
        var tokens: [Token] = []
        while index < bytes.count {
            if skipLineBreak() { continue }
            let current = bytes[index]
            if current == 32 || current == 9 || current == 11 || current == 12 {
                index += 1
                continue
            }
            if current == UInt8(ascii: "-"), byte(1) == UInt8(ascii: "-") {
                index += 2
                if let level = longBracketLevel() {
                    skipLongBracket(level)
                } else {
                    while let next = byte(), next != 10, next != 13 { index += 1 }
                }
                continue
            }
            let start = index
            let startLine = line
            if let level = longBracketLevel() {
                skipLongBracket(level)
            } else if current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") {
                index += 1
                while let next = byte(), next != current {
                    if next == UInt8(ascii: "\\") {
                        index += 1
                        if !skipLineBreak() { index += 1 }
                    } else {
                        index += 1
                    }
                }
                index += 1
            } else if LuaTokenizer.isDigit(current) || (current == UInt8(ascii: ".") && byte(1).map(LuaTokenizer.isDigit) == true) {
                index += 1
                while let next = byte() {
                    let previous = bytes[index - 1] | 0x20
                    let isSign = next == UInt8(ascii: "+") || next == UInt8(ascii: "-")
                    guard LuaTokenizer.isWord(next) || next == UInt8(ascii: ".")
                        || (isSign && (previous == UInt8(ascii: "e") || previous == UInt8(ascii: "p")))
                    else { break }
                    index += 1
                }
            } else if LuaTokenizer.isWord(current) {
                while let next = byte(), LuaTokenizer.isWord(next) { index += 1 }
            } else if let op = LuaTokenizer.operators.first(where: { op in
                op.indices.allSatisfy { byte($0) == op[$0] }
            }) {
                index += op.count
            } else {
                index += 1
            }
            let text = String(decoding: bytes[start..<min(index, bytes.count)], as: UTF8.self)
            tokens.append(Token(line: startLine, text: text))
        }
        return tokens
    }
}
