import Testing
import WippyCodecs
import WippyCore

@Suite struct JSONNumberFormatTests {
    @Test(arguments: [
        (42.0, "42"),
        (4.0, "4"),
        (-3.0, "-3"),
        (-0.0, "0"),
        (0.0, "0"),
        (5 * 49.99, "249.95000000000002"),
        (0.1, "0.1"),
        (1.0 / 3.0, "0.3333333333333333"),
        (100.5, "100.5"),
        (-2.5, "-2.5"),
        (123_456_789.125, "123456789.125"),
        (9_007_199_254_740_992.0, "9007199254740992"),
        (1e20, "100000000000000000000"),
        (1_152_921_504_606_846_976.0, "1152921504606847000"),
        (1e21, "1e+21"),
        (1.2345e22, "1.2345e+22"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (-2.5e-8, "-2.5e-8"),
        (1.5e-10, "1.5e-10"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (Double.leastNonzeroMagnitude, "5e-324"),
    ])
    func floats_useGoJSONLayout(value: Double, expected: String) {
        #expect(JSONCodec.formatNumber(value) == expected)
    }

    @Test func nonFiniteFloats_encodeAsNull() throws {
        #expect(try JSONCodec.encodeString(.array([.double(.nan), .double(.infinity), .double(-.infinity)]))
            == "[null,null,null]")
    }

    @Test func floatsInDocuments_useTheSameLayout() throws {
        let value = Payload.map([("total", .double(5 * 49.99)), ("count", .double(4)), ("tiny", .double(1e-7))])
        #expect(try JSONCodec.encodeString(value) == #"{"total":249.95000000000002,"count":4,"tiny":1e-7}"#)
    }

    @Test func randomFloats_roundTripExactly() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let value = Double(bitPattern: generator.next())
            guard value.isFinite else { continue }
            let text = JSONCodec.formatNumber(value)
            let decoded = try JSONCodec.decode(text)
            #expect(decoded.doubleValue == value || (value == 0 && decoded.doubleValue == 0), "\(value) → \(text)")
        }
    }

    @Test func formattedDigits_areShortest() {
        // Shortest digits: no representation with fewer digits reads back as the same value.
        #expect(JSONCodec.formatNumber(0.3) == "0.3")
        #expect(JSONCodec.formatNumber(0.1 + 0.2) == "0.30000000000000004")
        #expect(JSONCodec.formatNumber(2.0 / 3.0) == "0.6666666666666666")
    }
}
