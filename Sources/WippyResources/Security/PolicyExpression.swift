public import WippyCore

/// The condition of a `security.policy.expr` entry (lua-api-io §6.5), such as
/// `actor.meta.role == "editor" && action == "write"`: parsed once when the entry is decoded (a syntax error
/// rejects the entry, naming where), evaluated against the request's actor, action, resource and metadata.
///
/// The language is the small boolean core such policies use:
/// - names: `actor.id`, `actor.meta.<key>`, `action`, `resource`, `meta.<key>` (anything else is `nil`);
/// - literals: strings in `"…"` or `'…'`, numbers, `true`, `false`, `nil`, lists `[a, b]`;
/// - `==` `!=` `<` `<=` `>` `>=` (numbers compare as numbers, also when one side is a numeric string, as
///   metadata values are), `in` / `not in` a list, `contains` / `startsWith` / `endsWith` on strings;
/// - `!` / `not`, `&&` / `and`, `||` / `or`, parentheses.
///
/// A comparison of values it cannot compare is false, never an error: a policy that cannot decide does not
/// apply.
public struct PolicyExpression: Sendable, Equatable {
    public let source: String
    private let root: Node

    public static func == (left: PolicyExpression, right: PolicyExpression) -> Bool { left.source == right.source }

    indirect enum Node: Sendable {
        case literal(Value)
        case name(String)
        case list([Node])
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)
        case compare(String, Node, Node)
    }

    enum Value: Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
        case list([Value])
    }

    public init(parsing source: String) throws(WippyError) {
        self.source = source
        var parser = Parser(tokens: try Self.tokens(source), source: source)
        let node = try parser.or()
        if let extra = parser.peek { throw parser.error("unexpected \(extra.text)") }
        root = node
    }

    /// Whether the expression holds; `lookup` answers the names (`actor.id`, `meta.x`, …).
    public func holds(_ lookup: (String) -> String?) -> Bool {
        Self.truth(Self.evaluate(root, lookup))
    }

    // MARK: - Evaluation

    static func evaluate(_ node: Node, _ lookup: (String) -> String?) -> Value {
        switch node {
        case .literal(let value): return value
        case .name(let name): return lookup(name).map(Value.string) ?? .null
        case .list(let items): return .list(items.map { evaluate($0, lookup) })
        case .not(let inner): return .bool(!truth(evaluate(inner, lookup)))
        case .and(let left, let right): return .bool(truth(evaluate(left, lookup)) && truth(evaluate(right, lookup)))
        case .or(let left, let right): return .bool(truth(evaluate(left, lookup)) || truth(evaluate(right, lookup)))
        case .compare(let op, let left, let right): return .bool(compare(op, evaluate(left, lookup), evaluate(right, lookup)))
        }
    }

    static func truth(_ value: Value) -> Bool {
        switch value {
        case .bool(let flag): return flag
        case .string(let text): return text == "true"
        default: return false
        }
    }

    static func compare(_ op: String, _ left: Value, _ right: Value) -> Bool {
        switch op {
        case "==": return equal(left, right)
        case "!=": return !equal(left, right)
        case "in", "not in":
            guard case .list(let items) = right else { return false }
            let found = items.contains { equal(left, $0) }
            return op == "in" ? found : !found
        case "contains", "startsWith", "endsWith":
            guard case .string(let text) = left, let needle = Self.text(right) else { return false }
            if op == "contains" { return text.contains(needle) }
            return op == "startsWith" ? text.hasPrefix(needle) : text.hasSuffix(needle)
        default:
            if let a = number(left), let b = number(right) {
                switch op {
                case "<": return a < b
                case "<=": return a <= b
                case ">": return a > b
                default: return a >= b
                }
            }
            guard case .string(let a) = left, case .string(let b) = right else { return false }
            switch op {
            case "<": return a < b
            case "<=": return a <= b
            case ">": return a > b
            default: return a >= b
            }
        }
    }

    static func equal(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.number, _), (_, .number):
            guard let a = number(left), let b = number(right) else { return false }
            return a == b
        case (.bool(let flag), .string(let text)), (.string(let text), .bool(let flag)):
            return text == (flag ? "true" : "false")
        default:
            return left == right
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .number(let number): return number
        case .string(let text): return Double(text)
        default: return nil
        }
    }

    static func text(_ value: Value) -> String? {
        switch value {
        case .string(let text): return text
        case .number(let number): return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .bool(let flag): return flag ? "true" : "false"
        default: return nil
        }
    }

    // MARK: - Parsing

    struct Token: Sendable {
        enum Kind: Sendable { case name, string, number, symbol }
        let kind: Kind
        let text: String
        let offset: Int
    }

    static func tokens(_ source: String) throws(WippyError) -> [Token] {
        let characters = Array(source)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
                continue
            }
            let start = index
            if character.isLetter || character == "_" {
                while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" || characters[index] == "." {
                    index += 1
                }
                tokens.append(Token(kind: .name, text: String(characters[start..<index]), offset: start))
            } else if character.isNumber {
                while index < characters.count, characters[index].isNumber || characters[index] == "." { index += 1 }
                tokens.append(Token(kind: .number, text: String(characters[start..<index]), offset: start))
            } else if character == "\"" || character == "'" {
                index += 1
                var text = ""
                while index < characters.count, characters[index] != character {
                    if characters[index] == "\\", index + 1 < characters.count { index += 1 }
                    text.append(characters[index])
                    index += 1
                }
                guard index < characters.count else {
                    throw WippyError.invalid("expression: string started at \(start + 1) is not closed: \(source)")
                }
                index += 1
                tokens.append(Token(kind: .string, text: text, offset: start))
            } else {
                let pair = index + 1 < characters.count ? String(characters[index...index + 1]) : ""
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(pair) {
                    index += 2
                    tokens.append(Token(kind: .symbol, text: pair, offset: start))
                } else if "<>!()[],".contains(character) {
                    index += 1
                    tokens.append(Token(kind: .symbol, text: String(character), offset: start))
                } else {
                    throw WippyError.invalid("expression: unexpected '\(character)' at \(start + 1): \(source)")
                }
            }
        }
        return tokens
    }

    struct Parser {
        let tokens: [Token]
        let source: String
        var position = 0

        var peek: Token? { position < tokens.count ? tokens[position] : nil }

        func error(_ message: String) -> WippyError {
            let at = peek.map { " at \($0.offset + 1)" } ?? " at the end"
            return WippyError.invalid("expression: \(message)\(at): \(source)")
        }

        mutating func take(_ texts: String...) -> String? {
            guard let token = peek, token.kind != .string, texts.contains(token.text) else { return nil }
            position += 1
            return token.text
        }

        mutating func or() throws(WippyError) -> Node {
            var node = try and()
            while take("||", "or") != nil { node = .or(node, try and()) }
            return node
        }

        mutating func and() throws(WippyError) -> Node {
            var node = try not()
            while take("&&", "and") != nil { node = .and(node, try not()) }
            return node
        }

        mutating func not() throws(WippyError) -> Node {
            if take("!", "not") != nil { return .not(try not()) }
            return try comparison()
        }

        mutating func comparison() throws(WippyError) -> Node {
            let left = try primary()
            if let op = take("==", "!=", "<", "<=", ">", ">=", "in", "contains", "startsWith", "endsWith") {
                return .compare(op, left, try primary())
            }
            if peek?.text == "not", position + 1 < tokens.count, tokens[position + 1].text == "in" {
                position += 2
                return .compare("not in", left, try primary())
            }
            return left
        }

        mutating func primary() throws(WippyError) -> Node {
            guard let token = peek else { throw error("a value is missing") }
            position += 1
            switch token.kind {
            case .string:
                return .literal(.string(token.text))
            case .number:
                guard let number = Double(token.text) else { throw error("\(token.text) is not a number") }
                return .literal(.number(number))
            case .name:
                switch token.text {
                case "true": return .literal(.bool(true))
                case "false": return .literal(.bool(false))
                case "nil", "null": return .literal(.null)
                default: return .name(token.text)
                }
            case .symbol:
                if token.text == "(" {
                    let inner = try or()
                    guard take(")") != nil else { throw error("')' expected") }
                    return inner
                }
                if token.text == "[" {
                    var items: [Node] = []
                    if take("]") != nil { return .list(items) }
                    repeat { items.append(try primary()) } while take(",") != nil
                    guard take("]") != nil else { throw error("']' expected") }
                    return .list(items)
                }
                position -= 1
                throw error("unexpected \(token.text)")
            }
        }
    }
}
