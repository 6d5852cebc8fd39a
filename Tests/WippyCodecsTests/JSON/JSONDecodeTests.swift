import Testing
import WippyCodecs
import WippyCore

@Suite struct JSONDecodeTests {
    typealias T = JSONTestSupport

    @Test func integers_decodeAsInt_otherNumbersAsDouble() throws {
        #expect(try JSONCodec.decode("42") == .int(42))
        #expect(try JSONCodec.decode("-17") == .int(-17))
        #expect(try JSONCodec.decode("-0") == .int(0))
        #expect(try JSONCodec.decode("42.0") == .double(42))
        #expect(try JSONCodec.decode("1e2") == .double(100))
        #expect(try JSONCodec.decode("1E+2") == .double(100))
        #expect(try JSONCodec.decode("0.1") == .double(0.1))
        #expect(try JSONCodec.decode("-2.5e-3") == .double(-0.0025))
        #expect(try JSONCodec.decode("249.95000000000002") == .double(5 * 49.99))
    }

    @Test func int64Limits_stayIntegers_andBeyondBecomeDoubles() throws {
        #expect(try JSONCodec.decode("9223372036854775807") == .int(.max))
        #expect(try JSONCodec.decode("-9223372036854775808") == .int(.min))
        #expect(try JSONCodec.decode("9223372036854775808") == .double(9_223_372_036_854_775_808))
        #expect(try JSONCodec.decode("-9223372036854775809") == .double(-9_223_372_036_854_775_808))
        #expect(try JSONCodec.decode("123456789012345678901234567890") == .double(1.2345678901234568e29))
    }

    @Test func hardDecimals_areCorrectlyRounded() throws {
        #expect(try JSONCodec.decode("2.2250738585072011e-308") == .double(Double("2.2250738585072011e-308")!))
        #expect(try JSONCodec.decode("0.30000000000000004") == .double(0.1 + 0.2))
        #expect(try JSONCodec.decode("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
        #expect(try JSONCodec.decode("5e-324") == .double(.leastNonzeroMagnitude))
        #expect(try JSONCodec.decode("0.000000000000000000000000000001") == .double(1e-30))
        #expect(try JSONCodec.decode("1e-400") == .double(0))
    }

    @Test func numbersOutOfRange_areErrors() {
        let error = T.error { _ = try JSONCodec.decode("1e400") }
        #expect(error?.kind == .internal)
        #expect(error?.message.contains("out of range") == true)
    }

    @Test func literals_andNull() throws {
        #expect(try JSONCodec.decode("true") == .bool(true))
        #expect(try JSONCodec.decode("false") == .bool(false))
        #expect(try JSONCodec.decode("null") == .null)
        #expect(try JSONCodec.decode("[1,null,3]") == .array([1, .null, 3]))
        #expect(try JSONCodec.decode(#"{"a":null}"#) == .map([("a", .null)]))
    }

    @Test func objects_keepDocumentOrderAndObjectFlag() throws {
        let value = try JSONCodec.decode(#"{"z":1,"a":{"m":[true]},"k":"v"}"#)
        let table = try #require(value.tableValue)
        #expect(table.isObject)
        #expect(table.stringFields.map(\.0) == ["z", "a", "k"])
        #expect(table["a"] == .map([("m", .array([true]))]))
        #expect(table.array.isEmpty)
    }

    @Test func repeatedKeys_keepFirstPositionAndLastValue() throws {
        let table = try #require(try JSONCodec.decode(#"{"a":1,"b":2,"a":3}"#).tableValue)
        #expect(table.fields.count == 2)
        #expect(table.stringFields.map(\.0) == ["a", "b"])
        #expect(table["a"] == .int(3))
        // Large objects switch to a dictionary index; behaviour is the same.
        let members = (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        let large = try #require(try JSONCodec.decode("{" + members + #","k7":"x","k39":"y"}"#).tableValue)
        #expect(large.fields.count == 40)
        #expect(large["k7"] == "x")
        #expect(large["k39"] == "y")
    }

    @Test func arrays_haveOnlyASequencePart() throws {
        let table = try #require(try JSONCodec.decode("[1,[2,[3]],{}]").tableValue)
        #expect(table.fields.isEmpty)
        #expect(!table.isObject)
        #expect(table.array.count == 3)
    }

    @Test func emptyObjectAndArray_keepTheirIdentity() throws {
        #expect(try T.encode(try JSONCodec.decode("{}")) == "{}")
        #expect(try T.encode(try JSONCodec.decode("[]")) == "[]")
        #expect(try T.encode(try JSONCodec.decode(#"{"a":{},"b":[]}"#)) == #"{"a":{},"b":[]}"#)
    }

    @Test func stringEscapes_decode() throws {
        #expect(try JSONCodec.decode(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        #expect(try JSONCodec.decode(#""caf\u00e9 \u65E5""#) == .string("café 日"))
        #expect(try JSONCodec.decode(#""\u0000""#) == .string("\u{0}"))
    }

    @Test func surrogatePairs_combine_andLoneSurrogatesBecomeReplacement() throws {
        #expect(try JSONCodec.decode(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONCodec.decode(#""\uD83D\uDE00!""#) == .string("😀!"))
        #expect(try JSONCodec.decode(#""\ud800""#) == .string("\u{FFFD}"))
        #expect(try JSONCodec.decode(#""\udc00x""#) == .string("\u{FFFD}x"))
        #expect(try JSONCodec.decode(#""\ud800\u0041""#) == .string("\u{FFFD}A"))
        #expect(try JSONCodec.decode(#""\ud800\ud800\udc00""#) == .string("\u{FFFD}𐀀"))
    }

    @Test func rawUnicode_passesThrough_andInvalidUTF8IsReplacedPerByte() throws {
        #expect(try JSONCodec.decode("\"héllo 😀\"") == .string("héllo 😀"))
        let invalid: [UInt8] = [0x22, 0x61, 0xff, 0xe2, 0x82, 0x62, 0x22]
        #expect(try JSONCodec.decode(invalid) == .string("a\u{FFFD}\u{FFFD}\u{FFFD}b"))
        let invalidWithEscape: [UInt8] = [0x22, 0xff, 0x5c, 0x6e, 0x22]
        #expect(try JSONCodec.decode(invalidWithEscape) == .string("\u{FFFD}\n"))
    }

    @Test func whitespace_aroundTokensIsAccepted() throws {
        let value = try JSONCodec.decode(" \t\n\r{ \"a\" : [ 1 , 2 ] , \"b\" :\n\"x\" } \n")
        #expect(value == .map([("a", .array([1, 2])), ("b", "x")]))
    }

    @Test func emptyInput_isInvalid() {
        #expect(T.error { _ = try JSONCodec.decode("") } == WippyError.invalid("empty string is not valid JSON"))
        #expect(T.error { _ = try JSONCodec.decode([UInt8]()) }?.kind == .invalid)
    }

    @Test(arguments: [
        ("   ", "unexpected end of JSON input at offset 3"),
        ("1 2", "invalid character '2' after top-level value at offset 2"),
        ("{} x", "invalid character 'x' after top-level value at offset 3"),
        ("[1,]", "invalid character ']' looking for beginning of value at offset 3"),
        ("[1 2]", "invalid character '2' after array element at offset 3"),
        (#"{"a" 1}"#, "invalid character '1' after object key at offset 5"),
        (#"{"a":1,}"#, "invalid character '}' looking for beginning of object key string at offset 7"),
        (#"{"a":1 "b":2}"#, "invalid character '\"' after object key:value pair at offset 7"),
        ("{'a':1}", #"invalid character '\'' looking for beginning of object key string at offset 1"#),
        ("tru", "unexpected end of JSON input at offset 3"),
        ("trux", "invalid character 'x' in literal true (expecting 'e') at offset 3"),
        ("nul", "unexpected end of JSON input at offset 3"),
        ("01", "invalid character '1' after top-level value at offset 1"),
        ("1.", "unexpected end of JSON input at offset 2"),
        ("1.e5", "invalid character 'e' after decimal point in numeric literal at offset 2"),
        ("-", "unexpected end of JSON input at offset 1"),
        ("-a", "invalid character 'a' in numeric literal at offset 1"),
        ("1e", "unexpected end of JSON input at offset 2"),
        ("1e+x", "invalid character 'x' in exponent of numeric literal at offset 3"),
        (#""abc"#, "unexpected end of JSON input at offset 4"),
        ("\"a\u{01}\"", #"invalid character '\x01' in string literal at offset 2"#),
        ("\"a\nb\"", #"invalid character '\n' in string literal at offset 2"#),
        (#""\x""#, "invalid character 'x' in string escape code at offset 2"),
        (#""\u12g4""#, #"invalid character 'g' in \u hexadecimal character escape at offset 5"#),
        ("+1", "invalid character '+' looking for beginning of value at offset 0"),
        ("[", "unexpected end of JSON input at offset 1"),
        (#"{"a":"#, "unexpected end of JSON input at offset 5"),
    ])
    func syntaxErrors_areInternalWithOffset(input: String, message: String) {
        let error = T.error { _ = try JSONCodec.decode(input) }
        #expect(error?.kind == .internal)
        #expect(error?.message == "json: " + message)
    }

    @Test func nestingDepth_isLimitedTo128() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        var expected: Payload = .array([])
        for _ in 0..<127 { expected = .array([expected]) }
        #expect(try JSONCodec.decode(ok) == expected)
        let tooDeep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        let error = T.error { _ = try JSONCodec.decode(tooDeep) }
        #expect(error?.kind == .internal)
        #expect(error?.message == "json: nesting depth exceeds 128 at offset 128")
        let objects = String(repeating: #"{"a":"#, count: 129) + "1" + String(repeating: "}", count: 129)
        #expect(T.error { _ = try JSONCodec.decode(objects) }?.message.hasPrefix("json: nesting depth exceeds 128") == true)
    }

    @Test func bytesAndStringInputs_agree() throws {
        let text = #"{"a":[1,2.5,"x\u0041"]}"#
        #expect(try JSONCodec.decode(text) == JSONCodec.decode(Array(text.utf8)))
    }
}
