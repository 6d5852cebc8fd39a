extension Parser {
    /// `block = { stat | ';' } [ laststat [ ';' ] ]`, ending before `end`, `else`, `elseif`, `until` or EOF.
    mutating func parseBlock() throws(ParseFailure) {
        analysis.openBlock()
        defer { analysis.closeBlock() }
        while true {
            switch tok.kind {
            case .eof, .kwEnd, .kwElse, .kwElseif, .kwUntil:
                return
            case .kwReturn:
                try parseReturn()
                return
            case .kwBreak:
                try parseBreak()
                return
            default:
                try parseStatement()
            }
        }
    }

    private mutating func parseReturn() throws(ParseFailure) {
        try advance()
        if !tok.kind.closesBlock && tok.kind != .semicolon { try parseExpressionList() }
        _ = try accept(.semicolon)
        guard tok.kind.closesBlock else {
            throw failure(
                at: tok, "unexpected \(describe(tok)) after 'return'; 'return' must be the last statement of "
                    + "its block (write 'do return end' to return early)")
        }
    }

    /// `break` is allowed only as the last statement of a block (Lua 5.1 rule, kept by Wippy).
    private mutating func parseBreak() throws(ParseFailure) {
        if functions[functions.count - 1].loopDepth == 0 {
            throw failure(at: tok, "'break' outside a loop")
        }
        try advance()
        _ = try accept(.semicolon)
        guard tok.kind.closesBlock else {
            throw failure(
                at: tok, "unexpected \(describe(tok)) after 'break'; 'break' must be the last statement of "
                    + "its block (write 'do break end' to break early)")
        }
    }

    mutating func parseStatement() throws(ParseFailure) {
        try enter()
        defer { leave() }
        switch tok.kind {
        case .semicolon:
            try advance()
        case .kwIf:
            try parseIf()
        case .kwWhile:
            let opener = tok
            try advance()
            try parseExpression()
            try expect(.kwDo, "'do' after the 'while' condition")
            try parseLoopBody()
            try expectClose(.kwEnd, "end", opener: opener)
        case .kwDo:
            let opener = tok
            try advance()
            try parseBlock()
            try expectClose(.kwEnd, "end", opener: opener)
        case .kwFor:
            try parseFor()
        case .kwRepeat:
            let opener = tok
            try advance()
            try parseLoopBody()
            try expectClose(.kwUntil, "until", opener: opener)
            try parseExpression()
        case .kwFunction:
            try parseFunctionStatement()
        case .kwLocal:
            try parseLocal()
        case .label:
            try checkLabelName()
            try advance()
        case .kwGoto:
            try advance()
            try expectName("a label name after 'goto'")
        case .kwInterface:
            try parseInterface()
        case .name where isName(tok, "type"):
            let next = try peek()
            if next.kind == .name || next.kind.isDialectKeyword {
                try parseTypeAlias()
            } else {
                try parseExpressionStatement()
            }
        default:
            try parseExpressionStatement()
        }
    }

    private mutating func parseLoopBody() throws(ParseFailure) {
        functions[functions.count - 1].loopDepth += 1
        try parseBlock()
        functions[functions.count - 1].loopDepth -= 1
    }

    private mutating func parseIf() throws(ParseFailure) {
        let opener = tok
        try advance()
        try parseExpression()
        try expect(.kwThen, "'then' after the 'if' condition")
        try parseBlock()
        while tok.kind == .kwElseif {
            try advance()
            try parseExpression()
            try expect(.kwThen, "'then' after the 'elseif' condition")
            try parseBlock()
        }
        if try accept(.kwElse) { try parseBlock() }
        try expectClose(.kwEnd, "end", opener: opener)
    }

    private mutating func parseFor() throws(ParseFailure) {
        let opener = tok
        try advance()
        var names = [text(tok)]
        try expectName("a variable name after 'for'")
        try rejectLoopAnnotation()
        if try accept(.assign) {
            try parseExpression()
            try expect(.comma, "',' after the start value of the 'for' loop")
            try parseExpression()
            if try accept(.comma) { try parseExpression() }
        } else {
            while try accept(.comma) {
                names.append(text(tok))
                try expectName("a variable name in the 'for' list")
                try rejectLoopAnnotation()
            }
            try expect(.kwIn, "'=' or 'in' after the 'for' variables")
            try parseExpressionList()
        }
        try expect(.kwDo, "'do' in the 'for' statement")
        // The loop variables are locals of the body only.
        analysis.openBlock()
        for name in names { analysis.declare(name) }
        try parseLoopBody()
        analysis.closeBlock()
        try expectClose(.kwEnd, "end", opener: opener)
    }

    private func rejectLoopAnnotation() throws(ParseFailure) {
        if tok.kind == .colon {
            throw failure(at: tok, "loop variables cannot have type annotations; annotate a local inside the loop")
        }
    }

    /// `function funcname funcbody` where `funcname = Name { '.' Name } [ ':' methodname ]`.
    private mutating func parseFunctionStatement() throws(ParseFailure) {
        let opener = tok
        try advance()
        let root = text(tok)
        try expectName("a function name")
        analysis.checkName(root)
        if root == "process", analysis.resolve(root) == .global { processUse.refuse("the chunk defines a function in 'process'") }
        if tok.kind != .dot, tok.kind != .colon, let local = analysis.serial(of: root) { processUse.reassigned.insert(local) }
        analysis.assign(analysis.resolve(root), indexed: tok.kind == .dot || tok.kind == .colon)
        while tok.kind == .dot {
            try advance()
            if tok.kind.isDialectKeyword {
                throw failure(
                    at: tok, "'\(text(tok))' is a reserved word and cannot follow '.' in a function name; "
                        + "write 'M[\"\(text(tok))\"] = function(...) ... end' or use ':'")
            }
            try expectName("a name after '.' in the function name")
        }
        let isMethod = try accept(.colon)
        if isMethod { try expectMemberName("a method name after ':'") }
        try parseFunctionBody(opener: opener, isMethod: isMethod)
    }

    /// `local function Name funcbody` or `local bind { ',' bind } [ '=' exprlist ]`.
    private mutating func parseLocal() throws(ParseFailure) {
        try advance()
        if tok.kind == .kwFunction {
            let opener = tok
            try advance()
            // Declared before its body, which may call it.
            if tok.kind == .name { analysis.declare(text(tok), kind: .function) }
            try expectName("a function name after 'local function'")
            try parseFunctionBody(opener: opener)
            return
        }
        var names: [String] = []
        repeat {
            names.append(text(tok))
            try expectName("a variable name after 'local'")
            if tok.kind == .colon {
                try parseAnnotation()
            } else if tok.kind == .less {
                let next = try peek()
                let attribute = next.kind == .name ? text(next) : "const"
                throw failure(at: tok, "attributes like <\(attribute)> are not supported")
            }
        } while try accept(.comma)
        // What a single chunk-level local holds, when its declaration tells: a literal or a module.
        var kind = StateAnalysis.Kind.other
        // the range of the values when they are one prefix expression (to recognise `process.inbox()`)
        var inboxRange: Range<Int>?
        if try accept(.assign) {
            let first = tok
            analysis.lastRequire = nil
            lastInboxCall = nil
            lastReceiveCall = nil
            try parseExpressionList()
            inboxRange = first.start..<prev.end
            if names.count == 1 {
                let literal: Set<TokenKind> = [.number, .string, .kwNil, .kwTrue, .kwFalse]
                if literal.contains(first.kind) && prev.start == first.start {
                    kind = .literal
                } else if analysis.lastRequire == first.start..<prev.end {
                    kind = .module
                }
            }
        }
        // Visible only after the whole statement (`local x = x` reads the outer x).
        for name in names { analysis.declare(name, kind: kind) }
        if let values = inboxRange, names.count == 1, let local = analysis.serial(of: names[0]) {
            if lastInboxCall == values { processUse.inboxLocals.insert(local) }
            if let receive = lastReceiveCall, receive.range == values { processUse.messageLocals[local] = receive.inbox }
        }
    }

    /// Label names cannot be reserved words.
    private func checkLabelName() throws(ParseFailure) {
        var start = tok.start + 2
        while source[start] == UInt8(ascii: " ") || source[start] == UInt8(ascii: "\t") { start += 1 }
        var end = start
        while Lexer.isNameChar(source[end]) { end += 1 }
        if Lexer.keyword(in: source, start, end) != nil {
            throw ParseFailure(offset: start, message: "'\(snippet(start, end))' is a reserved word")
        }
    }

    /// `varlist '=' exprlist` or a call.
    private mutating func parseExpressionStatement() throws(ParseFailure) {
        let start = tok.start
        let first = try parseSuffixedExpression()
        guard tok.kind == .assign || tok.kind == .comma else {
            if first != .call || tok.kind == .bang || tok.kind == .kwAs || tok.kind == .doubleColon {
                throw try invalidStatement(target: start..<prev.end, isBareName: first == .name)
            }
            // `process.spawn(...)` alone, written just so: its result is dropped (ProcessFieldUse.spawnStatements)
            if lastSpawnCall == start, source.count >= start + 13,
                source[start..<start + 13].elementsEqual("process.spawn".utf8)
            {
                processUse.spawnStatements.append(start)
            }
            return
        }
        try checkAssignable(first, start: start)
        noteAssignment(first)
        while try accept(.comma) {
            let targetStart = tok.start
            let target = try parseSuffixedExpression()
            try checkAssignable(target, start: targetStart)
            noteAssignment(target)
        }
        guard tok.kind == .assign else {
            throw try invalidStatement(target: start..<prev.end, isBareName: false)
        }
        try advance()
        try parseExpressionList()
    }

    /// Tells the state analysis about an assignment target (just parsed).
    private mutating func noteAssignment(_ shape: SuffixedShape) {
        // A parenthesized root, `(t).x = v`, was checked as a use when its inner expression was parsed.
        guard let base = lastBase else { return }
        if base == .global, lastBaseName == "process" { processUse.refuse("the chunk assigns to 'process'") }
        if shape == .name, let local = analysis.serial(of: lastBaseName) { processUse.reassigned.insert(local) }
        analysis.assign(base, indexed: shape == .index)
    }

    private func checkAssignable(_ shape: SuffixedShape, start: Int) throws(ParseFailure) {
        switch shape {
        case .name, .index:
            return
        case .call:
            throw ParseFailure(offset: start, message: "cannot assign to a function call")
        case .parenthesized:
            throw ParseFailure(offset: start, message: "cannot assign to a parenthesized expression")
        }
    }
}
