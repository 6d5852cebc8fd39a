import Testing
import WippyCodecs
import WippyCore

@Suite struct Base64CodecTests {
    /// RFC 4648 §10.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test func rfc4648Vectors_encode() {
        for (plain, encoded) in Self.vectors {
            #expect(Base64Codec.encode(Array(plain.utf8)) == encoded)
            #expect(Base64Codec.encode(plain) == encoded)
        }
    }

    @Test func rfc4648Vectors_decode() throws {
        for (plain, encoded) in Self.vectors {
            #expect(try Base64Codec.decode(Array(encoded.utf8)) == Array(plain.utf8))
        }
    }

    @Test func allByteValues_roundTrip() throws {
        let bytes = (0..<256).map { UInt8($0) }
        for length in [0, 1, 2, 3, 4, 5, 100, 255, 256] {
            let slice = Array(bytes[0..<length])
            let encoded = Base64Codec.encode(slice)
            #expect(encoded.utf8.count == (length + 2) / 3 * 4)
            #expect(try Base64Codec.decode(encoded) == slice)
        }
        #expect(Base64Codec.encode([0xfb, 0xff, 0xbf]) == "+/+/")
    }

    @Test func newlines_areIgnored() throws {
        #expect(try Base64Codec.decode("Zm9v\nYmFy") == Array("foobar".utf8))
        #expect(try Base64Codec.decode("Zm\r\n9vYg=\n=\n") == Array("foob".utf8))
    }

    @Test func nonZeroPaddingBits_areAcceptedAsGoStdEncodingDoes() throws {
        #expect(try Base64Codec.decode("Zh==") == Array("f".utf8))
    }

    @Test(arguments: [
        ("Zg", 0), ("Zg=", 3), ("Zm9", 0), ("Z===", 1), ("=", 0), ("====", 0),
        ("Zm9v!", 4), ("Zm 9v", 2), ("Zg==Zg==", 4), ("Zm8=Zm8=", 4), ("Zg=a", 2), ("Zm9vYmFy-_", 8),
    ])
    func invalidInput_isRejectedWithGoOffset(input: String, offset: Int) {
        do {
            _ = try Base64Codec.decode(input)
            Issue.record("\(input) decoded")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message == "illegal base64 data at input byte \(offset)")
        }
    }
}
