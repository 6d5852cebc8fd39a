import Testing
import WippyCodecs
import WippyCore

/// Cases aimed at the decoder's fast paths: word-at-a-time string scanning, the object key cache and repeated-key
/// detection by hash, plus randomized round trips.
@Suite struct JSONFastPathTests {
    typealias T = JSONTestSupport

    @Test func specialBytes_areFoundAtEveryOffsetOfAWord() throws {
        for prefix in 0..<20 {
            let head = String(repeating: "x", count: prefix)
            #expect(try JSONCodec.decode("\"\(head)\\n\(head)\"") == .string(head + "\n" + head))
            #expect(try JSONCodec.decode("\"\(head)\"") == .string(head))
            let control = T.error { _ = try JSONCodec.decode("\"\(head)\u{1}xxxxxxxxx\"") }
            #expect(control?.message == #"json: invalid character '\x01' in string literal at offset \#(prefix + 1)"#)
            #expect(try JSONCodec.decode("\"\(head)é\(head)\"") == .string(head + "é" + head))
            let invalid = [UInt8(ascii: "\"")] + Array(head.utf8) + [0xff] + Array(head.utf8) + [UInt8(ascii: "\"")]
            #expect(try JSONCodec.decode(invalid) == .string(head + "\u{FFFD}" + head))
        }
    }

    @Test func writerFindsEscapesAtEveryOffsetOfAWord() throws {
        for prefix in 0..<20 {
            let head = String(repeating: "x", count: prefix)
            #expect(try T.encode(.string(head + "\u{2028}" + head)) == "\"\(head)\\u2028\(head)\"")
            #expect(try T.encode(.string(head + "\"" + head)) == "\"\(head)\\\"\(head)\"")
            #expect(try T.encode(.string(head + "\u{1}" + head)) == "\"\(head)\\u0001\(head)\"")
            #expect(try T.encode(.string(head + "€✓" + head)) == "\"\(head)€✓\(head)\"")
            let bytes = Array(head.utf8) + [0xff] + Array("é".utf8) + Array(head.utf8)
            #expect(try T.encode(.bytes(bytes)) == "\"\(head)\\ufffdé\(head)\"")
        }
    }

    @Test func unterminatedLongString_reportsEnd() {
        let error = T.error { _ = try JSONCodec.decode("\"" + String(repeating: "a", count: 30)) }
        #expect(error?.message == "json: unexpected end of JSON input at offset 31")
    }

    @Test func repeatedKeysAcrossRecords_decodeToEqualKeys() throws {
        let longKey = "a_rather_long_key_name_beyond_fifteen_bytes"
        let record = #"{"id":1,"\#(longKey)":"v","é":2,"esc\u0061ped":3}"#
        let value = try JSONCodec.decode("[" + Array(repeating: record, count: 300).joined(separator: ",") + "]")
        let records = try #require(value.tableValue?.array)
        #expect(records.count == 300)
        for item in records {
            #expect(item.tableValue?.stringFields.map(\.0) == ["id", longKey, "é", "escaped"])
        }
    }

    @Test func manyDistinctKeys_doNotConfuseTheCache() throws {
        // More keys than cache slots, so slots are overwritten and hashes share slots.
        let members = (0..<2000).map { #""key\#($0)":\#($0)"# }
        let objects = stride(from: 0, to: 2000, by: 20).map { "{" + members[$0..<$0 + 20].joined(separator: ",") + "}" }
        let text = "[" + (objects + objects.reversed()).joined(separator: ",") + "]"
        let decoded = try #require(try JSONCodec.decode(text).tableValue?.array)
        for (position, object) in decoded.enumerated() {
            let first = (position < 100 ? position : 199 - position) * 20
            let fields = try #require(object.tableValue?.stringFields)
            #expect(fields.map(\.0) == (first..<first + 20).map { "key\($0)" })
            #expect(fields.map(\.1) == (first..<first + 20).map { Payload.int(Int64($0)) })
        }
    }

    @Test func escapedAndRawSpellingsOfAKey_areTheSameKey() throws {
        let table = try #require(try JSONCodec.decode(#"{"a":1,"\u0061":2,"é":3,"\u00e9":4}"#).tableValue)
        #expect(table.stringFields.map(\.0) == ["a", "é"])
        #expect(table["a"] == 2)
        #expect(table["é"] == 4)
    }

    @Test func randomStrings_roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        let pool: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "ß",
            "日", "\u{2028}", "\u{2029}", "\u{FFFD}", "😀", "𐀀", "<", "&"]
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<40, using: &generator)
            var text = ""
            for _ in 0..<length { text.unicodeScalars.append(pool.randomElement(using: &generator)!) }
            let encoded = try JSONCodec.encode(.string(text))
            #expect(try JSONCodec.decode(encoded) == .string(text))
            // Also as an object key.
            let asKey = try JSONCodec.encode(.map([(text, Payload.int(1))]))
            #expect(try JSONCodec.decode(asKey) == .map([(text, Payload.int(1))]))
        }
    }

    @Test func randomTrees_roundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        func tree(_ depth: Int) -> Payload {
            let choice = Int.random(in: 0..<(depth > 4 ? 5 : 7), using: &generator)
            switch choice {
            case 0: return .int(Int64.random(in: .min ... .max, using: &generator))
            case 1:
                let value = Double(bitPattern: generator.next())
                return value.isFinite && value.rounded() != value ? .double(value) : .double(0.5)
            case 2: return .string(String(repeating: "s", count: Int.random(in: 0..<20, using: &generator)))
            case 3: return .bool(Bool.random(using: &generator))
            case 4: return .null
            case 5: return .array((0..<Int.random(in: 0..<6, using: &generator)).map { _ in tree(depth + 1) })
            default:
                let count = Int.random(in: 1..<6, using: &generator)
                return .map((0..<count).map { ("k\($0)", tree(depth + 1)) })
            }
        }
        for _ in 0..<300 {
            let value = tree(0)
            #expect(try JSONCodec.decode(JSONCodec.encode(value)) == value)
        }
    }
}
