import Testing
import WippyCore
import WippyResources

/// The conditions of `security.policy.expr` entries: what they decide for an actor, action and resource,
/// and the syntax errors that reject an entry.
@Suite struct PolicyExpressionTests {
    static func holds(_ source: String, _ names: [String: String]) throws -> Bool {
        try PolicyExpression(parsing: source).holds { names[$0] }
    }

    static let editor = ["actor.id": "ann", "actor.meta.role": "editor", "actor.meta.level": "7", "action": "write", "resource": "file:notes.txt"]

    @Test func comparisonsAndLogic() throws {
        #expect(try Self.holds(#"actor.meta.role == "editor" && action == "write""#, Self.editor))
        #expect(try !Self.holds(#"actor.meta.role == "editor" && action == "read""#, Self.editor))
        #expect(try Self.holds(#"action == 'read' || actor.id == 'ann'"#, Self.editor))
        #expect(try Self.holds(#"!(action == "read") and not (resource == "x")"#, Self.editor))
        // Metadata values are strings: numbers compare as numbers.
        #expect(try Self.holds("actor.meta.level >= 5 && actor.meta.level < 10", Self.editor))
        #expect(try !Self.holds("actor.meta.level > 10", Self.editor))
        #expect(try Self.holds(#"action in ["read", "write"] && actor.meta.role not in ["guest"]"#, Self.editor))
        #expect(try Self.holds(#"resource startsWith "file:" && resource endsWith ".txt" && resource contains "notes""#, Self.editor))
        // An unknown name is nil: it equals nil, and compares with nothing else.
        #expect(try Self.holds("meta.owner == nil", Self.editor))
        #expect(try !Self.holds(#"meta.owner == "ann""#, Self.editor))
        #expect(try !Self.holds("meta.owner > 3", Self.editor))
        #expect(try Self.holds("true", [:]) && !Self.holds("false", [:]))
    }

    @Test func syntaxErrorsNameWhere() {
        for (source, part) in [
            (#"action == "write"#, "not closed"), ("action ==", "missing"), ("(action == 'x'", "')' expected"),
            ("action = 'x'", "unexpected '='"), ("action == 'x' 'y'", "unexpected y"),
        ] {
            do throws(WippyError) {
                _ = try PolicyExpression(parsing: source)
                Issue.record("\(source) parsed")
            } catch {
                #expect(error.message.contains(part), "\(source): \(error.message)")
            }
        }
    }
}
