import Testing
import WippyCodecs
import WippyCore

@Suite struct UUIDCodecTests {
    static let dns = UUIDCodec.namespaceDNS

    /// Lowercase 8-4-4-4-12 hex.
    static func isCanonical(_ s: String) -> Bool {
        let utf8 = Array(s.utf8)
        guard utf8.count == 36 else { return false }
        for (i, byte) in utf8.enumerated() {
            if [8, 13, 18, 23].contains(i) {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(byte >= 0x30 && byte <= 0x39) && !(byte >= 0x61 && byte <= 0x66) {
                return false
            }
        }
        return true
    }

    static func clockSeconds() -> Int64 {
        // The current Unix time, read the way the codec reads it: from a fresh version 7 UUID.
        let parsed = try? UUIDCodec.parse(UUIDCodec.v7())
        return parsed?["timestamp"]?.intValue ?? 0
    }

    @Test func v4_isCanonicalRandomRFC4122() throws {
        let a = UUIDCodec.v4()
        let b = UUIDCodec.v4()
        #expect(Self.isCanonical(a))
        #expect(a != b)
        #expect(try UUIDCodec.version(a) == 4)
        #expect(try UUIDCodec.variant(a) == "RFC4122")
        #expect(try UUIDCodec.parse(a) == .map([("version", 4), ("variant", "RFC4122")]))
    }

    @Test func v1_carriesTimestampAndNode() throws {
        let id = UUIDCodec.v1()
        #expect(Self.isCanonical(id))
        #expect(try UUIDCodec.version(id) == 1)
        #expect(try UUIDCodec.variant(id) == "RFC4122")
        let parsed = try UUIDCodec.parse(id)
        let timestamp = try #require(parsed["timestamp"]?.intValue)
        #expect(abs(timestamp - Self.clockSeconds()) <= 2)
        #expect(timestamp > 1_700_000_000)
        let node = try #require(parsed["node"])
        switch node {
        case .string(let s): #expect(s.utf8.count == 6)
        case .bytes(let b): #expect(b.count == 6)
        default: Issue.record("node is \(node)")
        }
    }

    @Test func v1_isUniqueWithinOneClockTick() {
        let ids = (0..<2000).map { _ in UUIDCodec.v1() }
        #expect(Set(ids).count == ids.count)
    }

    @Test func v7_isTimeOrderedAndStrictlyIncreasing() throws {
        let ids = (0..<5000).map { _ in UUIDCodec.v7() }
        #expect(ids.allSatisfy(Self.isCanonical))
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
        #expect(try UUIDCodec.version(ids[0]) == 7)
        #expect(try UUIDCodec.variant(ids[0]) == "RFC4122")
        let parsed = try UUIDCodec.parse(ids[0])
        let timestamp = try #require(parsed["timestamp"]?.intValue)
        #expect(timestamp > 1_700_000_000)
        #expect(timestamp <= Self.clockSeconds())
        #expect(parsed["node"] == nil)
    }

    @Test func v5_andV3_matchRFCVectors() throws {
        #expect(try UUIDCodec.v5(namespace: Self.dns, name: "www.example.com") == "2ed6657d-e927-568b-95e1-2665a8aea6a2")
        #expect(try UUIDCodec.v3(namespace: Self.dns, name: "www.example.com") == "5df41881-3aed-3515-88a7-2f4a814cf09e")
        let url = UUIDCodec.namespaceURL
        #expect(try UUIDCodec.v5(namespace: url, name: "https://wippy.ai/é") == "9df0e798-e257-5ede-8ce7-45cf2cd47237")
        #expect(try UUIDCodec.v3(namespace: url, name: "https://wippy.ai/é") == "e4f02ddb-2142-3e87-8454-bbf765abdcee")
        // The namespace may be given in any accepted form.
        let simpleDNS = "6BA7B8109DAD11D180B400C04FD430C8"
        #expect(try UUIDCodec.v5(namespace: simpleDNS, name: "www.example.com") == "2ed6657d-e927-568b-95e1-2665a8aea6a2")
    }

    @Test func nameBased_rejectsInvalidNamespace() {
        do {
            _ = try UUIDCodec.v5(namespace: "not-a-uuid", name: "x")
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.message == "invalid namespace UUID: invalid UUID length: 10")
        }
        #expect(throws: WippyError.self) { try UUIDCodec.v3(namespace: "", name: "x") }
    }

    @Test(arguments: [
        "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "6BA7B810-9DAD-11D1-80B4-00C04FD430C8",
        "6ba7b8109dad11d180b400c04fd430c8",
        "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "URN:UUID:6ba7b810-9dad-11d1-80b4-00c04fd430c8",
        "{6ba7b810-9dad-11d1-80b4-00c04fd430c8}",
    ])
    func validate_acceptsGoForms(text: String) throws {
        #expect(UUIDCodec.validate(text))
        #expect(try UUIDCodec.format(text) == "6ba7b810-9dad-11d1-80b4-00c04fd430c8")
    }

    @Test(arguments: [
        "", "6ba7b810", "6ba7b810-9dad-11d1-80b4-00c04fd430c", "6ba7b810-9dad-11d1-80b4-00c04fd430c8a",
        "6ba7b810x9dad-11d1-80b4-00c04fd430c8", "6ba7b810-9dad-11d1-80b4-00c04fd430cg",
        "urn:uuix:6ba7b810-9dad-11d1-80b4-00c04fd430c8", "[6ba7b810-9dad-11d1-80b4-00c04fd430c8]",
        "6ba7b8109dad11d180b400c04fd430cz", " 6ba7b810-9dad-11d1-80b4-00c04fd430c8",
    ])
    func validate_rejectsOtherText(text: String) {
        #expect(!UUIDCodec.validate(text))
        #expect(throws: WippyError.self) { try UUIDCodec.version(text) }
    }

    @Test func invalidInput_errorsAreInvalidKindWithGoMessages() {
        func message(_ text: String) -> String? {
            do {
                _ = try UUIDCodec.version(text)
                return nil
            } catch {
                #expect(error.kind == .invalid)
                return error.message
            }
        }
        #expect(message("abc") == "invalid UUID length: 3")
        #expect(message("urn:uuix:6ba7b810-9dad-11d1-80b4-00c04fd430c8") == #"invalid urn prefix: "urn:uuix:""#)
        #expect(message("6ba7b810x9dad-11d1-80b4-00c04fd430c8") == "invalid UUID format")
    }

    @Test(arguments: [
        ("00000000-0000-4000-8000-000000000000", "RFC4122"),
        ("00000000-0000-4000-bfff-000000000000", "RFC4122"),
        ("00000000-0000-4000-c000-000000000000", "Microsoft"),
        ("00000000-0000-4000-e000-000000000000", "Future"),
        ("00000000-0000-4000-0000-000000000000", "Reserved"),
        ("00000000-0000-4000-7fff-000000000000", "Reserved"),
    ])
    func variant_followsGoNames(text: String, variant: String) throws {
        #expect(try UUIDCodec.variant(text) == variant)
    }

    @Test func parse_ofKnownV1_givesTimestampAndRawNode() throws {
        // The DNS namespace UUID is itself a version 1 UUID from 1998-02-04.
        let parsed = try UUIDCodec.parse(Self.dns)
        #expect(parsed["version"] == 1)
        #expect(parsed["variant"] == "RFC4122")
        #expect(parsed["timestamp"] == .int(886_630_433))
        #expect(parsed["node"] == .bytes([0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]))
    }

    @Test func parse_ofKnownV7_givesUnixSeconds() throws {
        // 0x017f22e279b0 ms = 1645557742000 ms (RFC 9562 appendix A.6).
        let parsed = try UUIDCodec.parse("017f22e2-79b0-7cc3-98c4-dc0c0c07398f")
        #expect(parsed == .map([("version", 7), ("variant", "RFC4122"), ("timestamp", .int(1_645_557_742))]))
    }

    @Test func format_supportsStandardSimpleAndURN() throws {
        let id = "{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}"
        #expect(try UUIDCodec.format(id, style: "standard") == "6ba7b810-9dad-11d1-80b4-00c04fd430c8")
        #expect(try UUIDCodec.format(id, style: "simple") == "6ba7b8109dad11d180b400c04fd430c8")
        #expect(try UUIDCodec.format(id, style: "urn") == "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8")
        do {
            _ = try UUIDCodec.format(id, style: "braces")
            Issue.record("accepted")
        } catch {
            #expect(error.kind == .invalid)
        }
        #expect(throws: WippyError.self) { try UUIDCodec.format("nope", style: "standard") }
    }
}
