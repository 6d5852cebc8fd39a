/// The kinds of token the dialect lexer produces (section 1 of the typed-Lua spec).
enum TokenKind: UInt8, Sendable {
    case eof, name, number, string
    /// `::name::` written on one line: a whole label in one token.
    case label

    // Lua keywords.
    case kwAnd, kwBreak, kwDo, kwElse, kwElseif, kwEnd, kwFalse, kwFor, kwFunction, kwGoto, kwIf, kwIn
    case kwLocal, kwNil, kwNot, kwOr, kwRepeat, kwReturn, kwThen, kwTrue, kwUntil, kwWhile

    // Dialect keywords (reserved as well).
    case kwFun, kwInterface, kwAs, kwAsserts, kwReadonly, kwIs, kwTypeof, kwKeyof, kwExtends

    // Operators and punctuation.
    case plus, minus, star, slash, doubleSlash, percent, caret, hash, ampersand, tilde, pipe
    case shiftLeft, shiftRight, equalEqual, notEqual, lessEqual, greaterEqual, less, greater, assign
    case leftParen, rightParen, leftBrace, rightBrace, leftBracket, rightBracket
    case semicolon, colon, doubleColon, comma, dot, concat, ellipsis
    /// Dialect punctuation: `->`, `?:`, `?`, `!`, `@`.
    case arrow, questionColon, question, bang, at

    /// True for the nine words the dialect reserves on top of Lua's.
    var isDialectKeyword: Bool {
        rawValue >= TokenKind.kwFun.rawValue && rawValue <= TokenKind.kwExtends.rawValue
    }

    /// True for any reserved word, Lua's or the dialect's.
    var isKeyword: Bool {
        rawValue >= TokenKind.kwAnd.rawValue && rawValue <= TokenKind.kwExtends.rawValue
    }

    /// True for the tokens that close a block: `end`, `else`, `elseif`, `until` and end of file.
    var closesBlock: Bool {
        switch self {
        case .eof, .kwEnd, .kwElse, .kwElseif, .kwUntil: true
        default: false
        }
    }

    /// Dialect keywords that may follow `.` in an expression and `:` in a method call or definition.
    var isKeywordMemberName: Bool {
        switch self {
        case .kwInterface, .kwReadonly, .kwAs, .kwAsserts, .kwIs: true
        default: false
        }
    }

    /// Tokens usable as a key in `{key = value}`: names plus a few dialect keywords.
    var isTableKeyName: Bool {
        self == .name || isKeywordMemberName || self == .kwKeyof || self == .kwExtends
    }

    /// Tokens usable as a record-type field name: table keys plus `typeof`.
    var isRecordFieldName: Bool {
        isTableKeyName || self == .kwTypeof
    }
}

/// One token: its kind and its byte range in the source.
///
/// Positions are byte offsets; line and column are computed only when an error is reported.
struct Token: Sendable {
    var kind: TokenKind
    var start: Int
    var end: Int
    /// For short strings: the string has an escape that Lua 5.4 reads differently (rule T5).
    var needsRewrite: Bool = false
}
