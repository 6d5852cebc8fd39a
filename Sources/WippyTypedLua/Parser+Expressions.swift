/// What a prefix expression ended with; decides whether it can be assigned to or stand as a statement.
enum SuffixedShape: Equatable {
    case name, index, call, parenthesized
}

extension Parser {
    mutating func parseExpressionList() throws(ParseFailure) {
        repeat { try parseExpression() } while try accept(.comma)
    }

    mutating func parseExpression() throws(ParseFailure) {
        try parseSubexpression(limit: 0)
    }

    /// Operator-precedence parsing of `exp`, with Lua 5.3's priorities (left, right).
    private mutating func parseSubexpression(limit: Int) throws(ParseFailure) {
        try enter()
        defer { leave() }
        switch tok.kind {
        case .kwNot, .minus, .hash, .tilde:
            try advance()
            try parseSubexpression(limit: 12)
        default:
            try parseSimpleExpression()
        }
        while let (left, right) = Parser.binaryPriority(tok.kind), left > limit {
            try advance()
            try parseSubexpression(limit: right)
        }
    }

    private static func binaryPriority(_ kind: TokenKind) -> (Int, Int)? {
        switch kind {
        case .kwOr: (1, 1)
        case .kwAnd: (2, 2)
        case .less, .greater, .lessEqual, .greaterEqual, .notEqual, .equalEqual: (3, 3)
        case .pipe: (4, 4)
        case .tilde: (5, 5)
        case .ampersand: (6, 6)
        case .shiftLeft, .shiftRight: (7, 7)
        case .concat: (9, 8)
        case .plus, .minus: (10, 10)
        case .star, .slash, .doubleSlash, .percent: (11, 11)
        case .caret: (14, 13)
        default: nil
        }
    }

    /// A literal, `...`, a table, a function, or a prefix expression, then any casts and `!`.
    private mutating func parseSimpleExpression() throws(ParseFailure) {
        let start = tok.start
        var singleValue = false
        switch tok.kind {
        case .number, .kwNil, .kwTrue, .kwFalse:
            try advance()
        case .string:
            try consumeString()
        case .ellipsis:
            if typeDepth == 0, !functions[functions.count - 1].isVararg {
                throw failure(at: tok, "cannot use '...' outside a vararg function")
            }
            // The chunk's own `...` is the process's environment.
            if analysis.depth == 0 {
                analysis.refuse("the chunk uses its '...'")
                processUse.refuse("the chunk uses its '...'")
            }
            try advance()
            singleValue = true
        case .leftBrace:
            try parseTable()
        case .kwFunction:
            let opener = tok
            try advance()
            try parseFunctionBody(opener: opener)
        default:
            singleValue = try parseSuffixedExpression() == .call
        }
        try parseCasts(operand: start..<prev.end, singleValue: singleValue)
    }

    /// Postfix `as T`, `:: T` and `!` after an operand (they bind tighter than any operator).
    private mutating func parseCasts(operand: Range<Int>, singleValue: Bool) throws(ParseFailure) {
        var last: Token?
        while tok.kind == .kwAs || tok.kind == .doubleColon || tok.kind == .bang {
            last = tok
            if tok.kind == .bang {
                let next = try peek()
                if next.kind == .assign, next.start == tok.end {
                    throw failure(at: tok, "'!=' is not an operator; use '~='")
                }
                try advance()
            } else {
                try advance()
                typeDepth += 1
                _ = try parseType()
                typeDepth -= 1
            }
        }
        guard let last else { return }
        if tok.kind == .dot || tok.kind == .leftBracket || tok.kind == .colon {
            let what = last.kind == .bang ? "'!'" : "a cast"
            let castText = SourceLocation.containsLineBreak(source, operand.lowerBound..<prev.end)
                ? "x!" : snippet(operand.lowerBound, prev.end)
            let next = try peek()
            let member = next.kind == .name || next.kind.isKeywordMemberName ? text(next) : "name"
            let example = switch tok.kind {
            case .dot: "(\(castText)).\(member)"
            case .colon: "(\(castText)):\(member)(...)"
            default: "(\(castText))[...]"
            }
            throw failure(
                at: tok, "cannot use \(describe(tok)) directly after \(what); wrap it in parentheses: '\(example)'")
        }
        recordCastChain(operand: operand, chainEnd: prev.end, singleValue: singleValue)
    }

    /// `prefixexp` with its suffixes: `.name`, `[exp]`, `:name args`, `args`.
    mutating func parseSuffixedExpression() throws(ParseFailure) -> SuffixedShape {
        var shape: SuffixedShape
        // For the state analysis: what the expression starts from, its leading `.name` fields, and whether
        // a plain call of them follows.
        var base: StateAnalysis.Resolution?
        var baseName = ""
        let start = tok.start
        var fields = 0
        var leading = true
        var called = false
        var calls = 0
        var requireCall = false
        // `process.inbox()` exactly (for ProcessFieldUse), and the first field's name
        var inboxCall = false
        // `process.spawn(...)` exactly (for ProcessFieldUse's spawn statements)
        var spawnCall = false
        var firstField = ""
        var rootSerial: Int?
        // `inbox:receive()` on this local (for ProcessFieldUse's message locals)
        var receiveOn: Int?
        switch tok.kind {
        case .name:
            baseName = text(tok)
            analysis.checkName(baseName)
            base = analysis.resolve(baseName)
            try advance()
            if typeDepth == 0, base == .global, baseName == "process" { processUse.useGlobal(dotFollows: tok.kind == .dot) }
            if typeDepth == 0, base != .global { rootSerial = analysis.serial(of: baseName) }
            shape = .name
        case .leftParen:
            let open = tok
            try advance()
            try parseExpression()
            try expectClose(.rightParen, ")", opener: open)
            shape = .parenthesized
        default:
            throw unexpectedInExpression(tok)
        }
        while true {
            switch tok.kind {
            case .dot:
                try advance()
                if fields == 0 && leading { firstField = text(tok) }
                try expectMemberName("a field name after '.'")
                shape = .index
                if leading { fields += 1 }
            case .leftBracket:
                let open = tok
                leading = false
                try advance()
                try parseExpression()
                try expectClose(.rightBracket, "]", opener: open)
                shape = .index
            case .colon:
                // `inbox:receive()` right on a local: a candidate for ProcessFieldUse's rewrite
                if leading, fields == 0, let local = rootSerial, try peek().kind == .name,
                    try peek(2).kind == .leftParen, try peek(3).kind == .rightParen
                {
                    let colon = tok.start
                    let open = try peek(2)
                    let method = text(try peek())
                    if method == "receive" {
                        processUse.receiveCalls.append((local, start, colon..<open.end))
                        receiveOn = local
                    } else if method == "topic" || method == "from" {
                        let variable = (analysis.isUpvalue(baseName) ? "upvalue '" : "local '") + baseName + "'"
                        processUse.accessorCalls.append((local, start, colon..<open.end, method, variable))
                    }
                }
                leading = false
                calls += 1
                try advance()
                try expectMemberName("a method name after ':'")
                try parseArguments()
                shape = .call
            case .leftParen, .string, .leftBrace:
                if leading {
                    if tok.kind == .leftParen, fields == 1, calls == 0, firstField == "inbox", base == .global,
                        baseName == "process", try peek().kind == .rightParen
                    {
                        inboxCall = true
                    }
                    if fields == 1, calls == 0, firstField == "spawn", base == .global, baseName == "process",
                        typeDepth == 0
                    {
                        spawnCall = true
                    }
                    called = true
                    // `require("name")` or `require "name"`: a built-in module's value, shared anyway.
                    if fields == 0, base == .global, baseName == "require" {
                        if tok.kind == .string {
                            requireCall = true
                        } else if tok.kind == .leftParen {
                            let argument = try peek()
                            let close = try peek(2)
                            requireCall = argument.kind == .string && close.kind == .rightParen
                        }
                    }
                }
                leading = false
                calls += 1
                try parseArguments()
                shape = .call
            default:
                if let base {
                    analysis.use(base, fields: fields, called: called)
                }
                lastInboxCall = inboxCall && calls == 1 && shape == .call ? start..<prev.end : nil
                lastSpawnCall = spawnCall && calls == 1 && shape == .call ? start : nil
                lastReceiveCall = receiveOn.flatMap { calls == 1 && shape == .call ? (start..<prev.end, $0) : nil }
                if calls > 0 {
                    if requireCall && calls == 1 && shape == .call {
                        analysis.lastRequire = start..<prev.end
                    } else {
                        analysis.chunkLevelCall()
                    }
                }
                lastBase = base
                lastBaseName = baseName
                return shape
            }
        }
    }

    /// A name after `.` or `:`: a Name or one of `interface readonly as asserts is`.
    mutating func expectMemberName(_ what: String) throws(ParseFailure) {
        if tok.kind.isKeywordMemberName {
            try advance()
            return
        }
        if tok.kind.isDialectKeyword {
            throw failure(
                at: tok, "'\(text(tok))' is a reserved word and cannot be used after '.' or ':'; "
                    + "write ['\(text(tok))'] instead")
        }
        try expectName(what)
    }

    /// `args = '(' [ exprlist ] ')' | tablecons | String`.
    private mutating func parseArguments() throws(ParseFailure) {
        switch tok.kind {
        case .string:
            try consumeString()
        case .leftBrace:
            try parseTable()
        case .leftParen:
            let open = tok
            try advance()
            if tok.kind != .rightParen { try parseExpressionList() }
            try expectClose(.rightParen, ")", opener: open)
        default:
            throw failure(at: tok, "expected arguments after the method name, found \(describe(tok))")
        }
    }

    /// `tablecons = '{' [ field { fieldsep field } [ fieldsep ] ] '}'`.
    private mutating func parseTable() throws(ParseFailure) {
        let open = tok
        try advance()
        while tok.kind != .rightBrace {
            if tok.kind == .leftBracket {
                let bracket = tok
                try advance()
                try parseExpression()
                try expectClose(.rightBracket, "]", opener: bracket)
                try expect(.assign, "'=' after the '[key]' of a table field")
                try parseExpression()
            } else if tok.kind.isTableKeyName, try peek().kind == .assign {
                try advance()
                try advance()
                try parseExpression()
            } else {
                try parseExpression()
            }
            if try !accept(.comma), try !accept(.semicolon) { break }
        }
        try expectClose(.rightBrace, "}", opener: open)
    }
}
