/// The text of a `.env` file: `KEY=VALUE` lines, `#` comments and blank lines (kept as they are when the
/// file is rewritten), an optional `export ` prefix, and values in double quotes (with `\n`, `\"`, `\\`
/// escapes), single quotes (taken literally) or bare (a ` #` starts a comment; spaces around are trimmed).
public struct DotEnvFile: Sendable, Equatable {
    enum Line: Sendable, Equatable {
        case other(String)
        case assignment(key: String, raw: String)
    }

    var lines: [Line]

    public init(parsing text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var body = Substring(line)
            if body.hasSuffix("\r") { body = body.dropLast() }
            let trimmed = body.drop { $0 == " " || $0 == "\t" }
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return .other(String(line)) }
            var assignment = trimmed
            if assignment.hasPrefix("export ") { assignment = assignment.dropFirst(7).drop { $0 == " " } }
            guard let equals = assignment.firstIndex(of: "=") else { return .other(String(line)) }
            let key = assignment[..<equals].trimmingSpaces
            guard !key.isEmpty, !key.contains(" ") else { return .other(String(line)) }
            return .assignment(key: String(key), raw: String(assignment[assignment.index(after: equals)...]))
        }
        if lines.last == .other("") { lines.removeLast() }
    }

    /// Every variable, the last assignment of a key winning.
    public var values: [String: String] {
        var result: [String: String] = [:]
        for case .assignment(let key, let raw) in lines { result[key] = DotEnvFile.decode(raw) }
        return result
    }

    /// Sets `key` (its last assignment is replaced; a new key is appended).
    public mutating func set(_ key: String, _ value: String) {
        let raw = DotEnvFile.encode(value)
        if let index = lines.lastIndex(where: { if case .assignment(key, _) = $0 { return true } else { return false } }) {
            lines[index] = .assignment(key: key, raw: raw)
        } else {
            lines.append(.assignment(key: key, raw: raw))
        }
    }

    /// The file's text (ending with a newline unless empty).
    public var text: String {
        if lines.isEmpty { return "" }
        return lines.map { line in
            switch line {
            case .other(let text): return text
            case .assignment(let key, let raw): return "\(key)=\(raw)"
            }
        }.joined(separator: "\n") + "\n"
    }

    static func decode(_ raw: String) -> String {
        let value = Substring(raw).trimmingSpaces
        if value.hasPrefix("\""), let end = closingQuote(value) {
            var result = ""
            var escaped = false
            for character in value[value.index(after: value.startIndex)..<end] {
                if escaped {
                    switch character {
                    case "n": result.append("\n")
                    case "r": result.append("\r")
                    case "t": result.append("\t")
                    default: result.append(character)
                    }
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    result.append(character)
                }
            }
            return result
        }
        if value.hasPrefix("'"), value.count >= 2, let end = value.dropFirst().firstIndex(of: "'") {
            return String(value[value.index(after: value.startIndex)..<end])
        }
        var index = value.startIndex
        while index < value.endIndex {
            let next = value.index(after: index)
            if (value[index] == " " || value[index] == "\t") && next < value.endIndex && value[next] == "#" {
                return String(value[..<index].trimmingSpaces)
            }
            index = next
        }
        return String(value)
    }

    private static func closingQuote(_ value: Substring) -> Substring.Index? {
        var index = value.index(after: value.startIndex)
        var escaped = false
        while index < value.endIndex {
            let character = value[index]
            if escaped {
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return index
            }
            index = value.index(after: index)
        }
        return nil
    }

    static func encode(_ value: String) -> String {
        let plain = !value.isEmpty && value.allSatisfy { $0.isLetter || $0.isNumber || "_-.,:/@+%=".contains($0) }
        if plain || value.isEmpty { return value }
        var result = "\""
        for character in value {
            switch character {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default: result.append(character)
            }
        }
        return result + "\""
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
