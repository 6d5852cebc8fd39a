import Testing
import WippyCore

/// The `uuid` and `base64` modules.
@Suite struct UUIDAndBase64Tests {
    @Test func generatorsMakeValidVersionedUUIDs() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local a, b = uuid.v4(), uuid.v4()
                local t1, t7 = uuid.v1(), uuid.v7()
                local later = uuid.v7()
                return {
                    #a, a ~= b, a == a:lower(), uuid.validate(a), uuid.version(a), uuid.version(t1), uuid.version(t7),
                    later > t7, uuid.variant(a), uuid.parse(t7).timestamp > 1700000000, #uuid.parse(t1).node,
                }
            end
            """)
        #expect(result.value == .array([36, true, true, true, 4, 1, 7, true, "RFC4122", true, 6]))
    }

    @Test func nameBasedUUIDsMatchTheRFCVectors() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local dns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
                local bad, err = uuid.v5("not-a-uuid", "x")
                local bad2, err2 = uuid.v3(dns, 5)
                return {uuid.v3(dns, "www.example.com"), uuid.v5(dns, "www.example.com"),
                    bad == nil, err:kind(), bad2 == nil, err2:kind()}
            end
            """)
        #expect(result.value == .array([
            "5df41881-3aed-3515-88a7-2f4a814cf09e", "2ed6657d-e927-568b-95e1-2665a8aea6a2", true, "Invalid", true, "Invalid",
        ]))
    }

    @Test func validateParseAndFormat() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local id = "6BA7B810-9DAD-11D1-80B4-00C04FD430C8"
                local simple = "6ba7b8109dad11d180b400c04fd430c8"
                local v, err = uuid.version("nope")
                local f, err2 = uuid.format(id, "fancy")
                local info = uuid.parse(id)
                return {
                    uuid.validate(id), uuid.validate(simple), uuid.validate("urn:uuid:" .. id), uuid.validate("{" .. id .. "}"),
                    uuid.validate(42), uuid.validate("nope"), v == nil, err:kind(),
                    uuid.format(id), uuid.format(id, "simple"), uuid.format(simple, "urn"), f == nil, err2:kind(),
                    info.version, info.variant,
                }
            end
            """)
        #expect(result.value == .array([
            true, true, true, true, false, false, true, "Invalid",
            "6ba7b810-9dad-11d1-80b4-00c04fd430c8", simpleForm, "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8", true, "Invalid",
            1, "RFC4122",
        ]))
    }

    private var simpleForm: Payload { "6ba7b8109dad11d180b400c04fd430c8" }

    @Test func base64EncodesAndDecodes() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local bad, err = base64.decode("!!!")
                local n, err2 = base64.encode(42)
                local d, err3 = base64.decode({})
                return {
                    base64.encode("hello"), base64.encode(""), base64.decode("aGVsbG8="), base64.decode(""),
                    select("#", base64.decode("aGk=")), base64.decode(base64.encode("\\0\\255bin")) == "\\0\\255bin",
                    bad == nil, err:kind(), n == nil, err2:kind(), err2:message(), err3:message(),
                }
            end
            """)
        #expect(result.value == .array([
            "aGVsbG8=", "", "hello", "", 1, true, true, "Invalid", true, "Invalid", "string expected", "string expected",
        ]))
    }
}
