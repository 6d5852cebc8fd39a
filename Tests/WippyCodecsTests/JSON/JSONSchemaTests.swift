import Testing
import WippyCodecs
import WippyCore

/// The JSON Schema validator behind `json.validate`, on JSON text.
@Suite struct JSONSchemaTests {
    func problems(_ schema: String, _ instance: String) throws -> [String] {
        try JSONSchema(JSONCodec.decode(schema)).violations(of: JSONCodec.decode(instance))
    }

    @Test func typesNumbersAndStrings() throws {
        #expect(try problems(#"{"type": "integer"}"#, "3.0").isEmpty)
        #expect(try problems(#"{"type": "integer"}"#, "3.5") == ["/: expected integer, got number"])
        #expect(try problems(#"{"type": ["string", "null"]}"#, "null").isEmpty)
        #expect(try problems(#"{"multipleOf": 0.1}"#, "0.3").isEmpty)
        #expect(try problems(#"{"minimum": 1, "exclusiveMinimum": true}"#, "1") == ["/: must be > 1"])
        #expect(try problems(#"{"maxLength": 2}"#, #""héé""#) == ["/: length must be <= 2, got 3"])
        #expect(try problems(#"{"pattern": "b+"}"#, #""abbc""#).isEmpty)
        #expect(try problems(#"{"format": "date-time"}"#, #""2024-02-29T10:00:00.5+01:00""#).isEmpty)
        #expect(try problems(#"{"format": "date"}"#, #""2023-02-29""#) == ["/: is not a valid date"])
        #expect(try problems(#"{"format": "ipv4"}"#, #""10.0.0.256""#) == ["/: is not a valid ipv4"])
        #expect(try problems(#"{"format": "uuid"}"#, #""123e4567-e89b-12d3-a456-426614174000""#).isEmpty)
        #expect(try problems(#"{"enum": [1, "a", {"k": [1]}]}"#, #"{"k": [1.0]}"#).isEmpty)
    }

    @Test func arraysObjectsAndCombinators() throws {
        #expect(try problems(#"{"items": [{"type": "string"}], "additionalItems": false}"#, #"["a", 1]"#)
            == ["/1: no value is allowed here (#/items is false)"])
        #expect(try problems(#"{"prefixItems": [{"const": 1}], "items": {"type": "string"}}"#, #"[1, "x", 2]"#)
            == ["/2: expected string, got integer"])
        #expect(try problems(#"{"contains": {"type": "string"}, "minContains": 2}"#, #"["a", 1]"#)
            == ["/: must contain at least 2 matching item(s), has 1"])
        #expect(try problems(#"{"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}"#,
            #"{"x-a": 1, "y": 2}"#) == ["/y: property is not allowed"])
        #expect(try problems(#"{"propertyNames": {"maxLength": 3}}"#, #"{"long": 1}"#) == ["/long: length must be <= 3, got 4"])
        #expect(try problems(#"{"dependentRequired": {"card": ["cvv"]}}"#, #"{"card": 1}"#) == ["/: property card requires property cvv"])
        #expect(try problems(#"{"oneOf": [{"type": "integer"}, {"minimum": 0}]}"#, "5") == ["/: must match exactly one schema of oneOf, matches 2"])
        #expect(try problems(#"{"if": {"type": "string"}, "then": {"minLength": 3}, "else": {"minimum": 10}}"#, "5") == ["/: must be >= 10"])
        #expect(try problems(##"{"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"}"##,
            #"{"next": {"next": {"next": 1}}}"#) == ["/next/next/next: expected object, got integer"])
        #expect(try problems("false", "1") == ["/: no value is allowed here (# is false)"])
    }

    @Test func badSchemasAndEndlessReferences() throws {
        #expect(throws: WippyError.self) { try JSONSchema(JSONCodec.decode(#"{"pattern": "("}"#)) }
        #expect(throws: WippyError.self) { try JSONSchema(JSONCodec.decode(#"{"minimum": "x"}"#)) }
        #expect(throws: WippyError.self) { try JSONSchema(JSONCodec.decode("[1]")) }
        // A schema that refers to itself forever ends with a problem instead of exhausting the stack.
        let endless = try problems(##"{"$ref": "#"}"##, "1")
        #expect(endless.count == 1 && endless[0].contains("schema recursion too deep"))
    }

    @Test func luaShapedTables() {
        let mixed = Payload.table(PayloadTable(array: [1], fields: [PayloadField(key: "k", value: 2), PayloadField(key: .int(3), value: 3)]))
        #expect(JSONSchema.jsonShaped(mixed) == .array([1, .null, 3]))
        #expect(JSONSchema.jsonShaped(.table(PayloadTable())) == .table(PayloadTable(isObject: true)))
    }
}
