import Testing
import WippyCore

@testable import WippyBoot

@Suite struct YAMLScalarResolverTests {
    @Test func booleansAreOnlyTrueAndFalseSpellings() {
        for text in ["true", "True", "TRUE"] { #expect(YAMLScalarResolver.resolve(text) == .bool(true)) }
        for text in ["false", "False", "FALSE"] { #expect(YAMLScalarResolver.resolve(text) == .bool(false)) }
        for text in ["yes", "no", "on", "off", "y", "n", "Yes", "tRUE"] {
            #expect(YAMLScalarResolver.resolve(text) == .string(text))
        }
    }

    @Test func nullSpellings() {
        for text in ["", "~", "null", "Null", "NULL"] { #expect(YAMLScalarResolver.resolve(text) == .null) }
        #expect(YAMLScalarResolver.resolve("nULL") == .string("nULL"))
    }

    @Test func integersFollowGoParseIntBaseZero() {
        #expect(YAMLScalarResolver.resolve("42") == .int(42))
        #expect(YAMLScalarResolver.resolve("-17") == .int(-17))
        #expect(YAMLScalarResolver.resolve("+5") == .int(5))
        #expect(YAMLScalarResolver.resolve("0") == .int(0))
        #expect(YAMLScalarResolver.resolve("0x1F") == .int(31))
        #expect(YAMLScalarResolver.resolve("-0x10") == .int(-16))
        #expect(YAMLScalarResolver.resolve("0o17") == .int(15))
        #expect(YAMLScalarResolver.resolve("0b101") == .int(5))
        #expect(YAMLScalarResolver.resolve("0755") == .int(493))
        #expect(YAMLScalarResolver.resolve("1_000") == .int(1000))
        #expect(YAMLScalarResolver.resolve("9223372036854775807") == .int(Int64.max))
        #expect(YAMLScalarResolver.resolve("-9223372036854775808") == .int(Int64.min))
        #expect(YAMLScalarResolver.resolve("18446744073709551615") == .double(Double(UInt64.max)))
    }

    @Test func floats() {
        #expect(YAMLScalarResolver.resolve("4.0") == .double(4.0))
        #expect(YAMLScalarResolver.resolve("1e3") == .double(1000))
        #expect(YAMLScalarResolver.resolve("-2.5E-1") == .double(-0.25))
        #expect(YAMLScalarResolver.resolve(".5") == .double(0.5))
        #expect(YAMLScalarResolver.resolve("1.") == .double(1))
        #expect(YAMLScalarResolver.resolve("08") == .double(8))  // invalid octal, but a YAML-style float
        #expect(YAMLScalarResolver.resolve(".inf") == .double(.infinity))
        #expect(YAMLScalarResolver.resolve("-.Inf") == .double(-.infinity))
        #expect(YAMLScalarResolver.resolve("+.INF") == .double(.infinity))
        if case .double(let nan) = YAMLScalarResolver.resolve(".nan") { #expect(nan.isNaN) } else { Issue.record(".nan") }
    }

    @Test func everythingElseIsAString() {
        for text in ["1.2.3", "v1.0", "2001-12-14", "0x", "1e", "inf", "nan", "+", "-", ".", "12:30", "0xZZ", "1_0.5x"] {
            #expect(YAMLScalarResolver.resolve(text) == .string(text), "\(text)")
        }
    }
}
