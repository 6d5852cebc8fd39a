import Testing
import WippyCodecs
import WippyCore

@Suite struct JSONRoundTripTests {
    typealias T = JSONTestSupport

    @Test(arguments: [
        "null", "true", "0", "-1", "3.25", "1e-7", "1e+21", #""""#, #""a\"\\\n\u0001\u2028""#,
        "[]", "{}", "[[],{},[{}]]",
        #"{"id":"7f1c","items":[{"sku":"A-1","qty":2,"price":49.99}],"total":99.98,"paid":false,"note":null}"#,
        #"[1,2,3,[4,[5,[6]]],"x",{"k":{"k":{"k":[]}}}]"#,
        #"{"emoji":"😀","html":"<b>&</b>","path":"/a/b"}"#,
    ])
    func canonicalDocuments_reencodeIdentically(text: String) throws {
        #expect(try T.encode(try JSONCodec.decode(text)) == text)
    }

    @Test func payloads_surviveEncodeThenDecode() throws {
        let values: [Payload] = [
            .map([("name", "wippy"), ("version", 2), ("ratio", 0.75), ("tags", .array(["a", "b"]))]),
            .array([.int(.max), .int(.min), .double(1e300), .double(-1.5e-300)]),
            .array([.map([("nested", .array([.map([("deep", true)])]))])]),
            .string("line\nbreak\ttab \u{0}nul 日本"),
        ]
        for value in values {
            #expect(try JSONCodec.decode(JSONCodec.encode(value)) == value)
        }
    }

    @Test func nullInsideArrays_survivesAtPayloadLevel() throws {
        let value = try JSONCodec.decode("[1,null,3]")
        #expect(try T.encode(value) == "[1,null,3]")
    }
}
