extension Parser {
    /// The source text of a token, for messages (lossy for non-UTF-8 bytes, cut after 40 bytes).
    func text(_ token: Token) -> String {
        snippet(token.start, token.end)
    }

    /// The source text of `start..<end` for a message, cut after 40 bytes.
    func snippet(_ start: Int, _ end: Int, limit: Int = 40) -> String {
        let cut = min(end, start + limit)
        let body = String(decoding: source[start..<cut], as: UTF8.self)
        return cut < end ? body + "..." : body
    }

    /// A token as a message shows it: `'name'`, `'='`, or `end of file`.
    func describe(_ token: Token) -> String {
        token.kind == .eof ? "end of file" : "'\(text(token))'"
    }

    /// A failure at `token`; at the end of file it points just after the last real token.
    func failure(at token: Token, _ message: String) -> ParseFailure {
        ParseFailure(offset: token.kind == .eof ? prev.end : token.start, message: message)
    }

    /// The error for a token that cannot start an expression.
    func unexpectedInExpression(_ token: Token) -> ParseFailure {
        switch token.kind {
        case .kwTypeof, .kwKeyof:
            return failure(at: token, "'\(text(token))' is a reserved word; \(text(token))(...) is only allowed in types")
        case .kwFun:
            return failure(at: token, "'fun' is a reserved word")
        case _ where token.kind.isDialectKeyword:
            return failure(at: token, "'\(text(token))' is a reserved word")
        case .bang:
            return failure(at: token, "'!' is the postfix non-nil assertion; use 'not' for negation")
        case .question, .questionColon:
            return failure(at: token, "'?' is not an operator; Lua has no ternary, write 'c and a or b'")
        case .eof:
            return failure(at: token, "unexpected end of file; expected an expression")
        case _ where token.kind.isKeyword:
            return failure(at: token, "unexpected '\(text(token))'; expected an expression")
        default:
            return failure(at: token, "unexpected symbol \(describe(token)); expected an expression")
        }
    }

    /// The error for an expression statement that is neither an assignment nor a call.
    ///
    /// - Parameters:
    ///   - target: byte range of the expression parsed so far.
    ///   - isBareName: the expression is a single name.
    mutating func invalidStatement(target: Range<Int>, isBareName: Bool) throws(ParseFailure) -> ParseFailure {
        let targetText = snippet(target.lowerBound, target.upperBound)
        let simpleTarget = !SourceLocation.containsLineBreak(source, target) && target.count <= 40
        switch tok.kind {
        case .bang, .kwAs, .doubleColon:
            let next = try peek()
            if tok.kind == .bang, next.kind == .assign, next.start == tok.end {
                return failure(at: tok, "'!=' is not an operator; use '~='")
            }
            let what = tok.kind == .bang ? "a '!' assertion" : "a cast"
            return failure(
                at: tok, "\(what) is an expression, not a variable: it cannot be assigned to or stand alone as "
                    + "a statement")
        case .plus, .minus, .star, .slash, .doubleSlash, .percent, .caret, .concat, .pipe, .ampersand, .tilde,
            .shiftLeft, .shiftRight:
            let next = try peek()
            if next.kind == .assign, next.start == tok.end {
                let name = simpleTarget ? targetText : "x"
                let value = try peek(2)
                let valueText = [.name, .number, .string].contains(value.kind) ? text(value) : "..."
                return failure(
                    at: tok, "compound assignment '\(text(tok))=' is not supported; "
                        + "write '\(name) = \(name) \(text(tok)) \(valueText)'")
            }
        case .name where isBareName && targetText == "export" && isName(tok, "type"):
            return ParseFailure(
                offset: target.lowerBound, message: "'export type' is not supported; write 'type Name = ...'")
        default:
            break
        }
        if isBareName, targetText == "continue" {
            return ParseFailure(
                offset: target.lowerBound,
                message: "'continue' is not supported; use 'goto continue' and put '::continue::' "
                    + "at the end of the loop body")
        }
        if tok.kind == .eof {
            return failure(at: tok, "unexpected end of file after '\(targetText)'; expected '=' or a call")
        }
        return failure(
            at: tok, "unexpected \(describe(tok)) after '\(targetText)'; "
                + "a statement must be an assignment or a function call")
    }
}
