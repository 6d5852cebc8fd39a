/// A recursive-descent parser for Wippy's typed Lua dialect (section 2 of the spec).
///
/// It checks the whole chunk (so it knows exactly where each type ends and rejects what Wippy rejects)
/// and records ``Edit``s that turn the source into Lua 5.4 per section 4: type text is blanked,
/// declarations become `;`, casts of calls get parentheses, odd string escapes are re-encoded.
/// Nothing is built: the parser only needs to know where things start and end.
struct Parser {
    /// Per-function facts the parser checks: `...` use and `break` placement.
    struct FunctionScope {
        var isVararg: Bool
        var loopDepth = 0
    }

    /// The deepest nesting of statements, expressions and types accepted (Lua's limit is 200 as well).
    static let maximumDepth = 200

    let source: [UInt8]
    var lexer: Lexer
    /// The current token.
    var tok: Token
    /// Tokens after `tok` that were already read by a look-ahead.
    var lookahead: [Token] = []
    /// The last consumed token.
    var prev: Token
    var edits: [Edit] = []
    /// Greater than zero while parsing text that is removed anyway (types, declarations): no edits then.
    var typeDepth = 0
    var depth = 0
    var functions: [FunctionScope] = [FunctionScope(isVararg: true)]
    /// Whether the chunk may hold per-process state (see ``StateAnalysis``).
    var analysis = StateAnalysis()
    /// Whether the chunk uses the global `process` only to read its fields (see ``ProcessFieldUse``).
    var processUse = ProcessFieldUse()
    /// After ``parseChunk()``: some `inbox:receive()` became `__wippy_receive(inbox)`.
    var usesReceiveBinding = false
    /// Whether the runtime binds `process` (and `__wippy_receive`) when the proof holds: without it no call
    /// is rewritten.
    var rewritesReceive = false
    /// What the last prefix expression started from (nil: a parenthesized expression), for assignments.
    var lastBase: StateAnalysis.Resolution?
    /// The name it started from ("" for a parenthesized expression).
    var lastBaseName = ""
    /// The range of the last prefix expression when it was exactly `process.inbox()`.
    var lastInboxCall: Range<Int>?
    /// The start of the suffixed expression just parsed when it was exactly a call of `process.spawn`.
    var lastSpawnCall: Int?
    /// The range of the last prefix expression when it was exactly `inbox:receive()` on a local, and that local.
    var lastReceiveCall: (range: Range<Int>, inbox: Int)?
    /// After ``parseChunk()``: why the chunk may hold per-process state, nil when it provably holds none.
    var stateReason: String?

    init(source: [UInt8]) throws(ParseFailure) {
        self.source = source
        self.lexer = Lexer(source: source)
        self.prev = Token(kind: .eof, start: 0, end: 0)
        self.tok = prev
        if source.count >= 2, source[0] == UInt8(ascii: "#"), source[1] == UInt8(ascii: "!") {
            throw ParseFailure(offset: 0, message: "a '#!' first line is not supported in Wippy Lua; remove it")
        }
        self.tok = try lexer.next()
    }

    /// Parses the whole chunk; afterwards ``edits`` holds the translation.
    mutating func parseChunk() throws(ParseFailure) {
        try parseBlock()
        if tok.kind != .eof {
            throw failure(at: tok, "unexpected \(describe(tok)); there is no open block for it to close")
        }
        stateReason = analysis.finish()
        // `_ENV` or `_G` could change or shadow the global behind the local binding
        if analysis.namesEnvironment { processUse.refuse("the chunk names _ENV or _G") }
        recordReceiveRewrites()
    }

    /// `inbox:receive()` → `__wippy_receive(inbox)` (see ``ProcessFieldUse/receiveName``): `__wippy_receive(`
    /// inserted before the name, `:receive(` blanked (its spaces make up for the insertion). Recorded last,
    /// so that at the same offset a `(` of rule T4 (a cast of the call) comes first.
    private mutating func recordReceiveRewrites() {
        let rewrites = processUse.receiveRewrites()
        let spawns = processUse.spawnRewrites()
        guard rewritesReceive, !rewrites.isEmpty || !spawns.isEmpty else { return }
        // a chunk that names one of the locals itself would see it: no rewrite then (they all share the prefix)
        let prefix = Array("__wippy_".utf8)
        if source.count >= prefix.count,
            (0...(source.count - prefix.count)).contains(where: { source[$0..<$0 + prefix.count].elementsEqual(prefix) })
        {
            return
        }
        let name = Array(ProcessFieldUse.receiveName.utf8)
        usesReceiveBinding = true
        // `process.spawn(...)` as a statement → `__wippy_spawn(...)`, same length (see ProcessFieldUse.spawnName)
        let spawnName = Array(ProcessFieldUse.spawnName.utf8)
        for start in spawns { record(start, start + spawnName.count, .replace(spawnName, padding: 0)) }
        let inserted = name + Array("(".utf8)
        for rewrite in rewrites {
            record(rewrite.start, rewrite.start, .insert(inserted))
            record(rewrite.method.lowerBound, rewrite.method.upperBound, .blank(prefix: [], absorb: inserted.count))
        }
        // `msg:topic()` → `__wippy_topic(msg, "local 'msg'")` on one line (a call split over lines is kept)
        for rewrite in processUse.accessorRewrites() {
            let call = source[rewrite.start..<rewrite.method.upperBound]
            guard let local = ProcessFieldUse.accessorNames[rewrite.name],
                !call.contains(UInt8(ascii: "\n")), !call.contains(UInt8(ascii: "\r"))
            else { continue }
            record(rewrite.start, rewrite.start, .insert(Array((local + "(").utf8)))
            record(rewrite.method.lowerBound, rewrite.method.upperBound, .replace(Array(", \"\(rewrite.variable)\"".utf8), padding: 0))
        }
    }

    // MARK: - Token stream

    mutating func advance() throws(ParseFailure) {
        prev = tok
        tok = lookahead.isEmpty ? try lexer.next() : lookahead.removeFirst()
    }

    /// The token `distance` places after the current one (1 = the next one).
    mutating func peek(_ distance: Int = 1) throws(ParseFailure) -> Token {
        while lookahead.count < distance { lookahead.append(try lexer.next()) }
        return lookahead[distance - 1]
    }

    /// Consumes the current token if it has the given kind.
    mutating func accept(_ kind: TokenKind) throws(ParseFailure) -> Bool {
        guard tok.kind == kind else { return false }
        try advance()
        return true
    }

    /// Consumes a token of the given kind or fails with "expected `what`".
    mutating func expect(_ kind: TokenKind, _ what: String) throws(ParseFailure) {
        guard tok.kind == kind else { throw failure(at: tok, "expected \(what), found \(describe(tok))") }
        try advance()
    }

    /// Consumes the token closing a construct opened by `opener`, or fails naming the opener and its line.
    mutating func expectClose(_ kind: TokenKind, _ closer: String, opener: Token) throws(ParseFailure) {
        guard tok.kind == kind else {
            let line = SourceLocation(offset: opener.start, in: source).line
            throw failure(
                at: tok, "expected '\(closer)' to close '\(text(opener))' at line \(line), found \(describe(tok))")
        }
        try advance()
    }

    /// Consumes a name token (not a reserved word); `what` describes it for the error message.
    mutating func expectName(_ what: String) throws(ParseFailure) {
        guard tok.kind == .name else {
            if tok.kind.isKeyword { throw failure(at: tok, "'\(text(tok))' is a reserved word") }
            throw failure(at: tok, "expected \(what), found \(describe(tok))")
        }
        try advance()
    }

    /// True when the current token is a name spelled `word`.
    func isName(_ token: Token, _ word: StaticString) -> Bool {
        guard token.kind == .name, token.end - token.start == word.utf8CodeUnitCount else { return false }
        let bytes = word.utf8Start
        for offset in 0..<word.utf8CodeUnitCount where source[token.start + offset] != bytes[offset] {
            return false
        }
        return true
    }

    // MARK: - Nesting

    mutating func enter() throws(ParseFailure) {
        depth += 1
        if depth > Parser.maximumDepth {
            throw failure(at: tok, "chunk has too many syntax levels (more than \(Parser.maximumDepth) nested)")
        }
    }

    mutating func leave() {
        depth -= 1
    }

    // MARK: - Recording edits

    mutating func record(_ start: Int, _ end: Int, _ action: Edit.Action) {
        guard typeDepth == 0, start <= end else { return }
        edits.append(Edit(start: start, end: end, action: action, sequence: edits.count))
    }

    /// Rule T1: blanks `start..<end`.
    mutating func recordBlank(_ start: Int, _ end: Int) {
        guard start < end else { return }
        record(start, end, .blank(prefix: [], absorb: 0))
    }

    /// Rule T2: the declaration `start..<end` becomes one `;` at its first byte.
    mutating func recordDeclaration(_ start: Int, _ end: Int) {
        record(start, end, .blank(prefix: [UInt8(ascii: ";")], absorb: 0))
    }

    /// Rule T5 for the current token (a string), then consumes it.
    mutating func consumeString() throws(ParseFailure) {
        if tok.needsRewrite, typeDepth == 0 {
            let (bytes, dropped) = StringRewriter.rewrite(source, tok.start..<tok.end)
            record(tok.start, tok.end, .replace(bytes, padding: dropped))
        }
        try advance()
    }

    /// Rules T3 and T4 for a removed chain of casts and `!` after an operand.
    ///
    /// - Parameters:
    ///   - operand: the byte range of the expression the chain applies to.
    ///   - chainEnd: the end of the last removed type or `!`.
    ///   - singleValue: the operand is a call or `...` and needs parentheses to stay one value.
    mutating func recordCastChain(operand: Range<Int>, chainEnd: Int, singleValue: Bool) {
        var prefix: [UInt8] = []
        var absorb = 0
        if singleValue {
            record(operand.lowerBound, operand.lowerBound, .insert([UInt8(ascii: "(")]))
            prefix.append(UInt8(ascii: ")"))
            if !SourceLocation.containsLineBreak(source, operand) { absorb = 1 }
        }
        // T3: a `(` after a cast starts a new statement in the dialect; keep it one in Lua.
        if tok.kind == .leftParen { prefix.append(UInt8(ascii: ";")) }
        record(operand.upperBound, chainEnd, .blank(prefix: prefix, absorb: absorb))
    }
}
