import Testing
import WippyCodecs
import WippyCore

@Suite struct JSONEncodeTests {
    typealias T = JSONTestSupport

    @Test func scalars_encodeAsJSONLiterals() throws {
        #expect(try T.encode(.null) == "null")
        #expect(try T.encode(true) == "true")
        #expect(try T.encode(false) == "false")
        #expect(try T.encode(42) == "42")
        #expect(try T.encode(.int(-7)) == "-7")
        #expect(try T.encode(.int(.max)) == "9223372036854775807")
        #expect(try T.encode(.int(.min)) == "-9223372036854775808")
        #expect(try T.encode("hi") == #""hi""#)
    }

    @Test func strings_escapeQuotesBackslashesAndControlCharacters() throws {
        #expect(try T.encode("a\"b\\c") == #""a\"b\\c""#)
        #expect(try T.encode("\n\r\t\u{08}\u{0C}") == #""\n\r\t\b\f""#)
        #expect(try T.encode("\u{01}\u{1F}\u{00}") == #""\u0001\u001f\u0000""#)
    }

    @Test func strings_leaveSlashAndHTMLCharactersAlone() throws {
        #expect(try T.encode("</a>&b") == #""</a>&b""#)
        #expect(try T.encode("\u{7F}") == "\"\u{7F}\"")
    }

    @Test func strings_keepUnicodeButEscapeLineAndParagraphSeparators() throws {
        #expect(try T.encode("héllo 😀 日本") == "\"héllo 😀 日本\"")
        #expect(try T.encode("a\u{2028}b\u{2029}c") == #""a\u2028b\u2029c""#)
    }

    @Test func byteStrings_replaceEachInvalidByteWithReplacementEscape() throws {
        #expect(try T.encode(.bytes([0x61, 0xff, 0x62])) == #""a\ufffdb""#)
        // A truncated three-byte sequence is two invalid bytes, as in Go.
        #expect(try T.encode(.bytes([0xe2, 0x82, 0x41])) == #""\ufffd\ufffdA""#)
        #expect(try T.encode(.bytes(Array("é".utf8))) == "\"é\"")
        // Surrogates encoded in UTF-8 are invalid.
        #expect(try T.encode(.bytes([0xed, 0xa0, 0x80])) == #""\ufffd\ufffd\ufffd""#)
    }

    @Test func errorValues_encodeAsTheirMessage() throws {
        #expect(try T.encode(.error(WippyError("boom", kind: .internal))) == #""boom""#)
    }

    @Test func arrays_andObjects_areCompactInOrder() throws {
        #expect(try T.encode(.array([1, "two", 3.5, true, .null])) == #"[1,"two",3.5,true,null]"#)
        let object = T.object([("b", 1), ("a", .array([1, 2])), ("c", T.object([("x", .null)]))])
        #expect(try T.encode(object) == #"{"b":1,"a":[1,2],"c":{"x":null}}"#)
    }

    @Test func emptyTable_encodesAsArrayUnlessMarkedObject() throws {
        #expect(try T.encode(.table(PayloadTable())) == "[]")
        #expect(try T.encode(.table(PayloadTable(isObject: true))) == "{}")
        #expect(try T.encode(T.object([("items", .table(PayloadTable()))])) == #"{"items":[]}"#)
    }

    @Test func mixedKeys_areRejected() {
        let mixed = T.table(array: [1, 2], fields: [("name", "x")])
        #expect(T.error { _ = try JSONCodec.encode(mixed) } == WippyError("cannot encode mixed-key table", kind: .internal))
        let intAndString = T.table(fields: [(.int(1), "a"), ("k", "b")])
        #expect(T.error { _ = try JSONCodec.encode(intAndString) }?.message == "cannot encode mixed-key table")
        let sequenceAndZero = T.table(array: [1], fields: [(.int(0), "z")])
        #expect(T.error { _ = try JSONCodec.encode(sequenceAndZero) }?.message == "cannot encode mixed-key table")
    }

    @Test func sparseIntegerKeys_areRejected() {
        let hole = T.table(array: [1], fields: [(.int(3), "c")])
        let error = T.error { _ = try JSONCodec.encode(hole) }
        #expect(error?.message == "cannot encode sparse array")
        #expect(error?.kind == .internal)
        #expect(T.error { _ = try JSONCodec.encode(T.table(fields: [(.int(2), "x")])) }?.message == "cannot encode sparse array")
    }

    @Test func integerFieldsContinuingTheSequence_extendTheArray() throws {
        #expect(try T.encode(T.table(array: [1], fields: [(.int(2), 2), (.int(3), 3)])) == "[1,2,3]")
        #expect(try T.encode(T.table(fields: [(.int(2), "b"), (.int(1), "a")])) == #"["a","b"]"#)
        #expect(try T.encode(T.table(fields: [(.double(1), "a")])) == #"["a"]"#)
    }

    @Test func nonPositiveAndNonIntegerKeys_areObjectKeys() throws {
        #expect(try T.encode(T.table(fields: [(.int(0), "z"), (.int(-1), "m")])) == #"{"0":"z","-1":"m"}"#)
        #expect(try T.encode(T.table(fields: [(.double(1.5), "f"), (true, "t")])) == #"{"1.5":"f","true":"t"}"#)
    }

    @Test func tableKeys_areRejected() {
        let tableKey = T.table(fields: [(.array([1]), "x")])
        #expect(T.error { _ = try JSONCodec.encode(tableKey) }?.message == "cannot encode table key of type table")
    }

    @Test func selfReference_isRejectedAsRecursive() {
        let cycle: Payload = .array([1, .reference(0)])
        #expect(T.error { _ = try JSONCodec.encode(cycle) } == WippyError("cannot encode recursive table", kind: .internal))
        // root → {child = {back = <root>}}
        let deep = T.object([("child", T.object([("back", .reference(0))]))])
        #expect(T.error { _ = try JSONCodec.encode(deep) }?.message == "cannot encode recursive table")
        // A reference to the table itself from inside a replayed copy is still a cycle.
        let inner = T.object([("x", .array([.reference(1)]))])
        #expect(T.error { _ = try JSONCodec.encode(.array([inner])) }?.message == "cannot encode recursive table")
        #expect(T.error { _ = try JSONCodec.encode(.array([.reference(5)])) }?.message == "cannot encode recursive table")
    }

    @Test func sharedTable_isWrittenAgain() throws {
        // local t = {a = {1}}; json.encode({t, t, t.a})  — tables: 0 root, 1 t, 2 t.a
        let shared = T.object([("a", .array([1]))])
        let root: Payload = .array([shared, .reference(1), .reference(2)])
        #expect(try T.encode(root) == #"[{"a":[1]},{"a":[1]},[1]]"#)
        // A shared table replayed inside another replay keeps the numbering right.
        let outer: Payload = .array([T.object([("x", .array([.array([7])]))]), .reference(3), .reference(1)])
        #expect(try T.encode(outer) == #"[{"x":[[7]]},[7],{"x":[[7]]}]"#)
    }

    @Test func nestingDepth_isLimitedTo128() throws {
        #expect(try T.encode(T.nestedArrays(128)).count == 128 * 2 + 1)
        let error = T.error { _ = try JSONCodec.encode(T.nestedArrays(129)) }
        #expect(error == WippyError("json: nesting depth exceeds 128", kind: .internal))
    }

    @Test func encode_returnsUTF8Bytes() throws {
        #expect(try JSONCodec.encode(.array(["é"])) == Array(#"["é"]"#.utf8))
    }
}
