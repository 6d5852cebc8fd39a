import Testing
import WippyCore

@testable import WippyBoot

@Suite struct YAMLPayloadDecoderTests {
    private func decode(_ text: String) throws -> Payload {
        try #require(try YAMLPayloadDecoder.decode(text, file: "test.yaml"))
    }

    @Test func scalarTypingFollowsYAMLv3() throws {
        let value = try decode(
            """
            yes: yes
            int: 42
            float: 4.0
            hex: 0x1F
            quoted: "42"
            single: '4.0'
            tilde: ~
            empty:
            bool: true
            block: |
              42
            tagged: !!str 7
            forced: !!float 3
            """)
        #expect(value["yes"] == .string("yes"))
        #expect(value["int"] == .int(42))
        #expect(value["float"] == .double(4.0))
        #expect(value["hex"] == .int(31))
        #expect(value["quoted"] == .string("42"))
        #expect(value["single"] == .string("4.0"))
        #expect(value["tilde"] == .null)
        #expect(value["empty"] == .null)
        #expect(value["bool"] == .bool(true))
        #expect(value["block"] == .string("42\n"))
        #expect(value["tagged"] == .string("7"))
        #expect(value["forced"] == .double(3))
    }

    @Test func nestedListsAndMapsKeepOrder() throws {
        let value = try decode(
            """
            list: [1, two, {three: 3}]
            map:
              z: 1
              a:
                - x
                - [y, z]
            """)
        let list = try #require(value["list"]?.tableValue)
        #expect(list.array == [.int(1), .string("two"), .map([("three", .int(3))])])
        let map = try #require(value["map"]?.tableValue)
        #expect(map.stringFields.map(\.0) == ["z", "a"])
        #expect(map["a"] == .array([.string("x"), .array([.string("y"), .string("z")])]))
        #expect(map.isObject)
    }

    @Test func nonStringKeysStayScalars() throws {
        let value = try decode("1: one\ntrue: yes\n")
        let table = try #require(value.tableValue)
        #expect(table.fields.map(\.key) == [.int(1), .bool(true)])
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let value = try decode(
            """
            base: &base
              a: 1
              b: 2
            extra: &extra
              c: 3
            one:
              <<: *base
              b: 20
            many:
              d: 4
              <<: [*extra, *base]
            same: *base
            """)
        #expect(value["one"] == .map([("a", 1), ("b", 20)]))
        #expect(value["many"] == .map([("d", 4), ("c", 3), ("a", 1), ("b", 2)]))
        #expect(value["same"] == .map([("a", 1), ("b", 2)]))
    }

    @Test func badMergeValueIsAnError() throws {
        let error = #expect(throws: ProjectError.self) { try decode("a:\n  <<: 5\n") }
        #expect(error?.message.contains("merge key") == true)
        #expect(error?.line == 2)
    }

    @Test func malformedYAMLReportsTheLine() throws {
        let error = #expect(throws: ProjectError.self) {
            try decode("a: 1\nb: [1, 2\nc: 3\n")
        }
        #expect(error?.file == "test.yaml")
        #expect(error?.line != nil)
        #expect(error?.description.hasPrefix("test.yaml:") == true)
    }

    @Test func duplicateKeysAreAnError() throws {
        let error = #expect(throws: ProjectError.self) { try decode("a: 1\nb: 2\na: 3\n") }
        #expect(error?.message.contains("duplicate") == true)
    }

    @Test func undefinedAliasIsAnError() throws {
        let error = #expect(throws: ProjectError.self) { try decode("a: *nope\n") }
        #expect(error?.line == 1)
    }

    @Test func jsonParsesWithTheSameTyping() throws {
        let value = try decode(#"{"a": 1, "b": 1.5, "c": "2", "d": [true, null], "e": {}}"#)
        #expect(value["a"] == .int(1))
        #expect(value["b"] == .double(1.5))
        #expect(value["c"] == .string("2"))
        #expect(value["d"] == .array([.bool(true), .null]))
        #expect(value["e"]?.tableValue?.isObject == true)
    }

    @Test func tabIndentedJSONParses() throws {
        let value = try decode("{\n\t\"a\": {\n\t\t\"b\": [1,\n\t\t2]\n\t}\n}\n")
        #expect(value["a"] == .map([("b", .array([1, 2]))]))
    }

    @Test func aliasExpansionIsBounded() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...7 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = #expect(throws: ProjectError.self) { try decode(text) }
        #expect(error?.message.contains("expands to more than") == true)
    }

    @Test func emptyDocumentIsNil() throws {
        #expect(try YAMLPayloadDecoder.decode("", file: "x.yaml") == nil)
        #expect(try YAMLPayloadDecoder.decode("# just a comment\n", file: "x.yaml") == nil)
        #expect(try YAMLPayloadDecoder.decode("---\na: 1\n...\n", file: "x.yaml") == .map([("a", 1)]))
    }
}
