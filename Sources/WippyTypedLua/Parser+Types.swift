/// What a parenthesized group in a type turned out to be.
enum ParenthesizedTypes {
    /// `( params ) -> ret`.
    case function
    /// `( (params) -> ret )`: a function type in parentheses.
    case parenthesizedFunction
    /// `()` with no arrow: an empty return list.
    case empty
    /// `(A, B, ...)` with no arrow: a return list of two or more types.
    case list
    /// `(A)` with no arrow: not valid on its own.
    case single
    /// Named or variadic entries with no arrow.
    case invalid
}

extension Parser {
    /// `type`: a simple type, an optional conditional, then `|` / `&` alternatives.
    ///
    /// - Returns: true when the type is exactly a function type `(..) -> ..` (nothing after it).
    @discardableResult
    mutating func parseType() throws(ParseFailure) -> Bool {
        try enter()
        defer { leave() }
        let isFunction = try parsePrimaryType()
        let end = prev.end
        try parseTypeRest()
        return isFunction && prev.end == end
    }

    /// Everything that may follow a primary type: `[]`/`[T]` suffixes, validators, `?`, a conditional
    /// `extends` clause, and `|` / `&` alternatives.
    mutating func parseTypeRest() throws(ParseFailure) {
        try parseTypeSuffixes(optionals: true)
        if tok.kind == .kwExtends {
            try advance()
            _ = try parsePrimaryType()
            try parseTypeSuffixes(optionals: false)
            // `?` marks the extends type optional only when another `?` follows (LALR shift order).
            while tok.kind == .question, try peek().kind == .question { try advance() }
            try expect(.question, "'?' after the 'extends' clause of a conditional type")
            _ = try parseType()
            try expect(.colon, "':' between the branches of a conditional type")
            _ = try parseType()
        }
        while tok.kind == .pipe || tok.kind == .ampersand {
            try advance()
            _ = try parsePrimaryType()
            try parseTypeSuffixes(optionals: true)
        }
    }

    /// Array suffixes `T[]` / indexed access `T[K]`, validators `@name(...)`, and optional marks `?`.
    private mutating func parseTypeSuffixes(optionals: Bool) throws(ParseFailure) {
        while tok.kind == .leftBracket {
            let open = tok
            try advance()
            if tok.kind != .rightBracket { _ = try parseType() }
            try expectClose(.rightBracket, "]", opener: open)
        }
        while tok.kind == .at { try parseValidator() }
        if optionals {
            while tok.kind == .question { try advance() }
        }
    }

    /// `annotation = '@' Name [ '(' [ exprlist ] ')' ]`.
    private mutating func parseValidator() throws(ParseFailure) {
        try advance()
        try expectName("a validator name after '@'")
        if tok.kind == .leftParen {
            let open = tok
            try advance()
            if tok.kind != .rightParen { try parseExpressionList() }
            try expectClose(.rightParen, ")", opener: open)
        }
    }

    /// `primarytype`, without the suffixes. Returns true for a function type.
    private mutating func parsePrimaryType() throws(ParseFailure) -> Bool {
        switch tok.kind {
        case .kwNil, .kwTrue, .kwFalse, .string, .number:
            try advance()
        case .name:
            try advance()
            if tok.kind == .dot {
                try advance()
                try expectName("a type name after '.'")
            } else if tok.kind == .less {
                try parseTypeArguments(after: prev)
            }
        case .leftBrace:
            try parseBracedType()
        case .kwReadonly:
            try advance()
            guard tok.kind == .leftBrace else {
                throw failure(at: tok, "expected '{' after 'readonly', found \(describe(tok))")
            }
            if try peek().kind == .rightBrace {
                throw failure(at: try peek(), "'readonly {}' needs an element, key or field type")
            }
            try parseBracedType()
        case .kwInterface:
            try advance()
            let open = tok
            try expect(.leftBrace, "'{' after 'interface' in a type")
            if tok.kind != .rightBrace { try parseRecordFields(open: open) } else { try advance() }
        case .leftParen:
            switch try parseParenthesizedTypes() {
            case .function, .parenthesizedFunction:
                return true
            default:
                throw failure(
                    at: tok, "expected '->' after ')'; parentheses in a type always write a function type "
                        + "'(params) -> result'")
            }
        case .kwFun:
            try advance()
            let open = tok
            try expect(.leftParen, "'(' after 'fun'")
            try parseFunctionTypeParameters(open: open)
            if try accept(.colon) { try parseFunctionTypeResult() }
        case .kwAsserts:
            try advance()
            try expectName("a parameter name after 'asserts'")
            if try accept(.kwIs) { _ = try parseType() }
        case .kwTypeof, .kwKeyof:
            let keyword = tok
            try advance()
            let open = tok
            try expect(.leftParen, "'(' after '\(text(keyword))'")
            if keyword.kind == .kwTypeof { try parseExpression() } else { _ = try parseType() }
            try expectClose(.rightParen, ")", opener: open)
        case .kwFunction:
            throw failure(at: tok, "'function' is not a type; use '(..) -> ..' or 'fun(..)'")
        case .minus where try peek().kind == .number:
            throw failure(at: tok, "negative literal types are not supported")
        default:
            throw failure(at: tok, "expected type after '\(text(prev))'")
        }
        return false
    }

    /// `'<' type { ',' type } '>'` after a bare type name.
    private mutating func parseTypeArguments(after name: Token) throws(ParseFailure) {
        let open = tok
        try advance()
        repeat { _ = try parseType() } while try accept(.comma)
        guard tok.kind == .greater || tok.kind == .shiftRight || tok.kind == .greaterEqual else {
            throw failure(
                at: tok, "expected ',' or '>' to close the type arguments of '\(text(name))', found "
                    + "\(describe(tok)); a '<' right after a type name opens type arguments, so write "
                    + "'(x as T) < y' to compare")
        }
        try expectClosingAngle(open: open, what: "type arguments")
    }

    /// Consumes a closing `>`, splitting a `>>` in two. A `>=` is one token and is not split.
    mutating func expectClosingAngle(open: Token, what: String) throws(ParseFailure) {
        switch tok.kind {
        case .greater:
            try advance()
        case .shiftRight:
            prev = Token(kind: .greater, start: tok.start, end: tok.start + 1)
            tok.kind = .greater
            tok.start += 1
        case .greaterEqual:
            throw failure(at: tok, "'>=' is one token and cannot close \(what); write '> =' with a space")
        default:
            throw failure(at: tok, "expected ',' or '>' to close the \(what), found \(describe(tok))")
        }
    }

    /// `{}` empty record, `{T}` array, `{[K]: V}` map or `{name: T, ...}` record; at `{`.
    private mutating func parseBracedType() throws(ParseFailure) {
        let open = tok
        try advance()
        switch tok.kind {
        case .rightBrace:
            try advance()
        case .leftBracket:
            let bracket = tok
            try advance()
            _ = try parseType()
            try expectClose(.rightBracket, "]", opener: bracket)
            try expect(.colon, "':' after the key type of a map type")
            _ = try parseType()
            try expectClose(.rightBrace, "}", opener: open)
        case _ where tok.kind.isRecordFieldName:
            let next = try peek()
            if next.kind == .colon || next.kind == .questionColon {
                try parseRecordFields(open: open)
            } else {
                try rejectSpacedOptionalMarker(next)
                _ = try parseType()
                try expectClose(.rightBrace, "}", opener: open)
            }
        default:
            _ = try parseType()
            try expectClose(.rightBrace, "}", opener: open)
        }
    }

    /// `recfield { ',' recfield } [ ',' ] '}'` with `recfield = recname ( ':' | '?:' ) type { annotation }`.
    private mutating func parseRecordFields(open: Token) throws(ParseFailure) {
        repeat {
            if tok.kind == .rightBrace { break }
            guard tok.kind.isRecordFieldName else {
                throw failure(at: tok, "expected a field name in the record type, found \(describe(tok))")
            }
            try advance()
            try rejectSpacedOptionalMarker(tok)
            if try !accept(.colon), try !accept(.questionColon) {
                throw failure(at: tok, "expected ':' or '?:' after the field name, found \(describe(tok))")
            }
            _ = try parseType()
            while tok.kind == .at { try parseValidator() }
        } while try accept(.comma)
        try expectClose(.rightBrace, "}", opener: open)
    }

    /// `name? : T` (with a space) is an error: the optional-field marker is the single token `?:`.
    private mutating func rejectSpacedOptionalMarker(_ question: Token) throws(ParseFailure) {
        guard question.kind == .question else { return }
        let afterQuestion = question.start == tok.start ? try peek() : try peek(2)
        if afterQuestion.kind == .colon {
            throw failure(at: question, "write the optional-field marker as '?:' with no space before ':'")
        }
    }

    /// `'(' [ fparams ] ')'` and, when an arrow follows, the function result.
    mutating func parseParenthesizedTypes() throws(ParseFailure) -> ParenthesizedTypes {
        let open = tok
        try advance()
        var count = 0
        var plain = true
        var firstIsFunction = false
        if tok.kind != .rightParen {
            repeat {
                count += 1
                switch try parseFunctionTypeParameter() {
                case .namedOrVariadic: plain = false
                case .plain(let isFunction): if count == 1 { firstIsFunction = isFunction }
                }
            } while try accept(.comma)
        }
        try closeFunctionTypeParameters(open: open)
        if try accept(.arrow) {
            try parseFunctionTypeResult()
            return .function
        }
        switch count {
        case 0: return .empty
        case 1 where plain: return firstIsFunction ? .parenthesizedFunction : .single
        case _ where plain: return .list
        default: return .invalid
        }
    }

    /// What one function-type parameter was.
    enum FunctionTypeParameter {
        case namedOrVariadic
        /// A bare type; `isFunction` when it was exactly a function type.
        case plain(isFunction: Bool)
    }

    /// `fparam = Name ':' type | type | '...' type`.
    private mutating func parseFunctionTypeParameter() throws(ParseFailure) -> FunctionTypeParameter {
        if tok.kind == .ellipsis {
            try advance()
            if tok.kind == .colon {
                throw failure(at: tok, "write a variadic parameter type as '...T', without ':'")
            }
            _ = try parseType()
            return .namedOrVariadic
        }
        if tok.kind == .name, try peek().kind == .colon {
            try advance()
            try advance()
            _ = try parseType()
            return .namedOrVariadic
        }
        return .plain(isFunction: try parseType())
    }

    /// `fun '(' [ fparams ] ')'` parameters; the current token follows the `(`.
    private mutating func parseFunctionTypeParameters(open: Token) throws(ParseFailure) {
        if tok.kind != .rightParen {
            repeat { _ = try parseFunctionTypeParameter() } while try accept(.comma)
        }
        try closeFunctionTypeParameters(open: open)
    }

    private mutating func closeFunctionTypeParameters(open: Token) throws(ParseFailure) {
        guard tok.kind == .rightParen else {
            let line = SourceLocation(offset: open.start, in: source).line
            throw failure(
                at: tok, "expected ',' or ')' in the function type parameters opened at line \(line), "
                    + "found \(describe(tok))")
        }
        try advance()
    }

    /// `fret = type | '(' ')' | '(' type ',' type { ',' type } ')'`.
    private mutating func parseFunctionTypeResult() throws(ParseFailure) {
        guard tok.kind == .leftParen else {
            _ = try parseType()
            return
        }
        switch try parseParenthesizedTypes() {
        case .empty, .list:
            return
        case .function, .parenthesizedFunction:
            try parseTypeRest()
        case .single, .invalid:
            throw failure(
                at: tok, "expected '->' after the parenthesized type; write a single result type without "
                    + "parentheses, or two or more as '(A, B)'")
        }
    }
}
