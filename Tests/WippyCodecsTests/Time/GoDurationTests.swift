import Testing
import WippyCodecs
import WippyCore

@Suite("GoDuration")
struct GoDurationTests {
    // Expected values come from Go's time.ParseDuration.
    @Test(arguments: [
        ("1h30m", Int64(5_400_000_000_000)),
        ("-1.5h", -5_400_000_000_000),
        ("300ms", 300_000_000),
        ("2h45m", 9_900_000_000_000),
        ("0", 0),
        ("+0", 0),
        ("-0", 0),
        ("1.5µs", 1_500),  // U+00B5 micro sign
        ("1.5μs", 1_500),  // U+03BC greek mu
        ("1us", 1_000),
        ("1ns", 1),
        ("7µs", 7_000),
        ("0.5ms", 500_000),
        (".5s", 500_000_000),
        ("5.s", 5_000_000_000),
        ("1.h", 3_600_000_000_000),
        ("3m0.5s", 180_500_000_000),
        ("1h1m1s1ms1us1ns", 3_661_001_001_001),
        ("1.5h30m", 7_200_000_000_000),
        ("0.000000001s", 1),
        ("0.0000000001s", 0),
        ("1.0000000000000000000001s", 1_000_000_000),
        ("1.9999999999999999999999999s", 2_000_000_000),
        ("0.1234567891234567891h", 444_444_440_844),
        ("9223372036854775807ns", Int64.max),
        ("-9223372036854775808ns", Int64.min),
        ("2562047h47m16.854775807s", Int64.max),
        ("-2562047h47m16.854775808s", Int64.min),
    ])
    func parses(input: String, nanoseconds: Int64) throws {
        #expect(try GoDuration.parse(input).nanoseconds == nanoseconds)
    }

    @Test(arguments: [
        ("", #"time: invalid duration """#),
        ("1", #"time: missing unit in duration "1""#),
        ("1d", #"time: unknown unit "d" in duration "1d""#),
        ("1e3s", #"time: unknown unit "e" in duration "1e3s""#),
        ("1 s", #"time: unknown unit " s" in duration "1 s""#),
        (" 1s", #"time: invalid duration " 1s""#),
        ("1hh", #"time: unknown unit "hh" in duration "1hh""#),
        ("1m1", #"time: missing unit in duration "1m1""#),
        (".s", #"time: invalid duration ".s""#),
        ("-.s", #"time: invalid duration "-.s""#),
        ("a", #"time: invalid duration "a""#),
        ("-", #"time: invalid duration "-""#),
        ("+", #"time: invalid duration "+""#),
        ("1µ", #"time: unknown unit "\xc2\xb5" in duration "1\xc2\xb5""#),
        ("\"x\\", #"time: invalid duration "\"x\\""#),
        ("9223372036854775808ns", #"time: invalid duration "9223372036854775808ns""#),
        ("-9223372036854775809ns", #"time: invalid duration "-9223372036854775809ns""#),
        ("2562047h47m16.854775808s", #"time: invalid duration "2562047h47m16.854775808s""#),
        ("2562048h", #"time: invalid duration "2562048h""#),
        ("100000000000000000000s", #"time: invalid duration "100000000000000000000s""#),
        ("12345678901234567890ns", #"time: invalid duration "12345678901234567890ns""#),
    ])
    func rejects(input: String, message: String) {
        #expect(throws: WippyError.invalid(message)) { try GoDuration.parse(input) }
    }

    @Test func parseErrorsAreInvalidKind() {
        do {
            _ = try GoDuration.parse("1d")
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .invalid)
            #expect(error.retryable == false)
        }
    }

    // Expected values come from Go's Duration.String().
    @Test(arguments: [
        (Int64(0), "0s"),
        (1, "1ns"),
        (999, "999ns"),
        (1_000, "1µs"),
        (1_500, "1.5µs"),
        (500_000_000, "500ms"),
        (526_624_009, "526.624009ms"),
        (1_000_000_000, "1s"),
        (5_400_000_000_000, "1h30m0s"),
        (-123_500_000_000, "-2m3.5s"),
        (-675, "-675ns"),
        (3_661_000_000_000, "1h1m1s"),
        (259_380_500_000_000, "72h3m0.5s"),
        (-7_497_468_244_883_513_247, "-2082630h4m4.883513247s"),
        (Int64.max, "2562047h47m16.854775807s"),
        (Int64.min, "-2562047h47m16.854775808s"),
    ])
    func formats(nanoseconds: Int64, text: String) {
        #expect(GoDuration(nanoseconds).description == text)
    }

    @Test func formatParseRoundTrip() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let ns = Int64(bitPattern: state) >> Int64(state % 50)
            let d = GoDuration(ns)
            #expect(try GoDuration.parse(d.description) == d)
        }
    }

    @Test func unitAccessors() {
        let d = GoDuration(5_400_123_456_789)
        #expect(d.microseconds == 5_400_123_456)
        #expect(d.milliseconds == 5_400_123)
        #expect(d.seconds == 5400.123456789)
        #expect(d.minutes == 90.00205761315)
        #expect(d.hours == 1.5000342935525)
        #expect(GoDuration(-1_500).microseconds == -1)
        #expect(GoDuration.hour.nanoseconds == 3_600_000_000_000)
        #expect(GoDuration.minute.nanoseconds == 60_000_000_000)
        #expect(GoDuration.second.nanoseconds == 1_000_000_000)
        #expect(GoDuration.millisecond.nanoseconds == 1_000_000)
        #expect(GoDuration.microsecond.nanoseconds == 1_000)
        #expect(GoDuration.nanosecond.nanoseconds == 1)
    }

    @Test func roundAndTruncate() {
        let d = GoDuration(1_234_567_891)
        #expect(d.rounded(to: .millisecond).nanoseconds == 1_235_000_000)
        #expect(d.truncated(to: .millisecond).nanoseconds == 1_234_000_000)
        #expect(GoDuration(-1_500_000_000).rounded(to: .second).nanoseconds == -2_000_000_000)
        #expect(GoDuration(-1_499_999_999).rounded(to: .second).nanoseconds == -1_000_000_000)
        #expect(d.rounded(to: .zero) == d)
        #expect(d.truncated(to: GoDuration(-5)) == d)
        #expect(GoDuration.max.rounded(to: .second) == .max)
        #expect(GoDuration.min.rounded(to: .second) == .min)
        #expect(GoDuration.min.magnitude == .max)
    }
}
