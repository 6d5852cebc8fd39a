extension Parser {
    /// `funcbody = [ typeparams ] '(' [ parlist ] ')' [ ':' rettypes ] block 'end'`.
    ///
    /// Type parameters, parameter annotations and the return annotation are blanked (rule T1).
    /// - Parameter opener: the `function` keyword, named when `end` is missing.
    mutating func parseFunctionBody(opener: Token, isMethod: Bool = false) throws(ParseFailure) {
        if tok.kind == .less { try parseTypeParameters() }
        let open = tok
        try expect(.leftParen, "'(' to start the parameter list")
        analysis.enterFunction()
        if isMethod { analysis.declare("self") }
        var isVararg = false
        if tok.kind != .rightParen {
            repeat {
                if tok.kind == .ellipsis {
                    try advance()
                    isVararg = true
                    if tok.kind == .colon { try parseAnnotation() }
                    break
                }
                if tok.kind == .name { analysis.declare(text(tok)) }
                try expectName("a parameter name")
                if tok.kind == .colon { try parseAnnotation() }
            } while try accept(.comma)
        }
        guard tok.kind == .rightParen else {
            let line = SourceLocation(offset: open.start, in: source).line
            let expected = isVararg ? "')' after '...'" : "',' or ')' in the parameter list"
            throw failure(at: tok, "expected \(expected) opened at line \(line), found \(describe(tok))")
        }
        try advance()
        if tok.kind == .colon {
            let colon = tok
            try advance()
            typeDepth += 1
            try parseReturnTypes()
            typeDepth -= 1
            recordBlank(colon.start, prev.end)
        }
        functions.append(FunctionScope(isVararg: isVararg))
        try parseBlock()
        functions.removeLast()
        analysis.leaveFunction()
        try expectClose(.kwEnd, "end", opener: opener)
    }

    /// `: type` after a local name, parameter or `...`; the current token is the colon. Blanked (T1).
    mutating func parseAnnotation() throws(ParseFailure) {
        let colon = tok
        try advance()
        typeDepth += 1
        _ = try parseType()
        typeDepth -= 1
        recordBlank(colon.start, prev.end)
    }

    /// `typeparams = '<' typeparam { ',' typeparam } '>'` with `typeparam = Name [ ':' type ]`. Blanked (T1).
    mutating func parseTypeParameters() throws(ParseFailure) {
        let open = tok
        try advance()
        typeDepth += 1
        repeat {
            try expectName("a type parameter name")
            if try accept(.colon) { _ = try parseType() }
        } while try accept(.comma)
        try expectClosingAngle(open: open, what: "type parameters")
        typeDepth -= 1
        recordBlank(open.start, prev.end)
    }

    /// `rettypes = type { ',' type } | '(' ')' | '(' type ',' type { ',' type } ')'`.
    mutating func parseReturnTypes() throws(ParseFailure) {
        if tok.kind == .leftParen {
            switch try parseParenthesizedTypes() {
            case .empty, .list:
                return
            case .function, .parenthesizedFunction:
                try parseTypeRest()
            case .single, .invalid:
                throw failure(
                    at: tok, "expected '->' after the parenthesized type; write a single return type without "
                        + "parentheses, or two or more as '(A, B)'")
            }
        } else {
            _ = try parseType()
        }
        while try accept(.comma) { _ = try parseType() }
    }

    // MARK: - Declarations (rule T2)

    /// `type Name [ typeparams ] '=' type`; becomes `;`.
    mutating func parseTypeAlias() throws(ParseFailure) {
        let start = tok.start
        try advance()
        typeDepth += 1
        let name = tok
        try expectName("a type name after 'type'")
        if tok.kind == .less { try parseTypeParameters() }
        guard tok.kind == .assign else {
            throw failure(at: tok, "expected '=' after 'type \(text(name))', found \(describe(tok))")
        }
        try advance()
        _ = try parseType()
        typeDepth -= 1
        recordDeclaration(start, prev.end)
    }

    /// `'interface' Name [ ':' Name { ',' Name } ] { ifacemethod } 'end'`; becomes `;`.
    ///
    /// `ifacemethod = 'function' Name '(' [ bind { ',' bind } ] ')' [ ':' rettypes ]`.
    mutating func parseInterface() throws(ParseFailure) {
        let opener = tok
        try advance()
        typeDepth += 1
        try expectName("an interface name")
        if try accept(.colon) {
            repeat { try expectName("an interface name to extend") } while try accept(.comma)
        }
        while tok.kind == .kwFunction {
            try advance()
            try expectName("a method name")
            let open = tok
            try expect(.leftParen, "'(' after the method name")
            if tok.kind != .rightParen {
                repeat {
                    try expectName("a parameter name")
                    if try accept(.colon) { _ = try parseType() }
                } while try accept(.comma)
            }
            try expectClose(.rightParen, ")", opener: open)
            if try accept(.colon) { try parseReturnTypes() }
        }
        guard tok.kind == .kwEnd else {
            let line = SourceLocation(offset: opener.start, in: source).line
            throw failure(
                at: tok, "expected 'function' or 'end' in the interface body opened at line \(line), "
                    + "found \(describe(tok))")
        }
        try advance()
        typeDepth -= 1
        recordDeclaration(opener.start, prev.end)
    }
}
