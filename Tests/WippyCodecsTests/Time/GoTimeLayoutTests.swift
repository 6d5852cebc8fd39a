import Testing
import WippyCodecs

/// Expected strings were produced by Go's `Time.Format` for the same instants and zones.
@Suite("GoTime formatting")
struct GoTimeLayoutTests {
    /// 2009-02-13 23:31:30.123456789 UTC.
    static let instant = GoTime(seconds: 1_234_567_890, nanoseconds: 123_456_789, location: .utc)
    static let xst = GoLocation.fixed(name: "XST", offsetSeconds: 19_800)
    static let unnamed = GoLocation.fixed(name: "", offsetSeconds: -12_600)

    @Test(arguments: [
        (GoLayouts.ansic, "Fri Feb 13 23:31:30 2009"),
        (GoLayouts.unixDate, "Fri Feb 13 23:31:30 UTC 2009"),
        (GoLayouts.rubyDate, "Fri Feb 13 23:31:30 +0000 2009"),
        (GoLayouts.rfc822, "13 Feb 09 23:31 UTC"),
        (GoLayouts.rfc822Z, "13 Feb 09 23:31 +0000"),
        (GoLayouts.rfc850, "Friday, 13-Feb-09 23:31:30 UTC"),
        (GoLayouts.rfc1123, "Fri, 13 Feb 2009 23:31:30 UTC"),
        (GoLayouts.rfc1123Z, "Fri, 13 Feb 2009 23:31:30 +0000"),
        (GoLayouts.rfc3339, "2009-02-13T23:31:30Z"),
        (GoLayouts.rfc3339Nano, "2009-02-13T23:31:30.123456789Z"),
        (GoLayouts.kitchen, "11:31PM"),
        (GoLayouts.stamp, "Feb 13 23:31:30"),
        (GoLayouts.stampMilli, "Feb 13 23:31:30.123"),
        (GoLayouts.stampMicro, "Feb 13 23:31:30.123456"),
        (GoLayouts.stampNano, "Feb 13 23:31:30.123456789"),
        (GoLayouts.dateTime, "2009-02-13 23:31:30"),
        (GoLayouts.dateOnly, "2009-02-13"),
        (GoLayouts.timeOnly, "23:31:30"),
    ])
    func namedLayoutsInUTC(layout: String, expected: String) {
        #expect(Self.instant.format(layout) == expected)
    }

    @Test(arguments: [
        (GoLayouts.ansic, "Sat Feb 14 05:01:30 2009"),
        (GoLayouts.unixDate, "Sat Feb 14 05:01:30 XST 2009"),
        (GoLayouts.rubyDate, "Sat Feb 14 05:01:30 +0530 2009"),
        (GoLayouts.rfc822, "14 Feb 09 05:01 XST"),
        (GoLayouts.rfc822Z, "14 Feb 09 05:01 +0530"),
        (GoLayouts.rfc850, "Saturday, 14-Feb-09 05:01:30 XST"),
        (GoLayouts.rfc1123, "Sat, 14 Feb 2009 05:01:30 XST"),
        (GoLayouts.rfc1123Z, "Sat, 14 Feb 2009 05:01:30 +0530"),
        (GoLayouts.rfc3339, "2009-02-14T05:01:30+05:30"),
        (GoLayouts.rfc3339Nano, "2009-02-14T05:01:30.123456789+05:30"),
        (GoLayouts.kitchen, "5:01AM"),
        (GoLayouts.stamp, "Feb 14 05:01:30"),
        (GoLayouts.stampMilli, "Feb 14 05:01:30.123"),
        (GoLayouts.stampMicro, "Feb 14 05:01:30.123456"),
        (GoLayouts.stampNano, "Feb 14 05:01:30.123456789"),
        (GoLayouts.dateTime, "2009-02-14 05:01:30"),
        (GoLayouts.dateOnly, "2009-02-14"),
        (GoLayouts.timeOnly, "05:01:30"),
    ])
    func namedLayoutsInFixedZone(layout: String, expected: String) {
        #expect(Self.instant.inLocation(Self.xst).format(layout) == expected)
    }

    @Test(arguments: [
        (GoLayouts.unixDate, "Fri Feb 13 20:01:30 -0330 2009"),
        (GoLayouts.rfc822, "13 Feb 09 20:01 -0330"),
        (GoLayouts.rfc1123, "Fri, 13 Feb 2009 20:01:30 -0330"),
        (GoLayouts.rfc3339, "2009-02-13T20:01:30-03:30"),
        (GoLayouts.kitchen, "8:01PM"),
    ])
    func unnamedZonePrintsOffsetForMST(layout: String, expected: String) {
        #expect(Self.instant.inLocation(Self.unnamed).format(layout) == expected)
    }

    static let allTokens = "2006 06 01 1 Jan January 02 2 _2 15 03 3 04 4 05 5 PM pm Mon Monday 002 __2 MST"
    static let zoneTokens = "-0700 -07:00 -07 Z0700 Z07:00 Z07 -070000 -07:00:00 Z070000 Z07:00:00"
    static let fractionTokens = ".0 .000 .999 ,000 ,999 .000000000 .999999999 .9"
    static let nearMisses = "Janx Mony MSTx _2006 2006_2 1.05 5.0.0"

    @Test func everyTokenInThreeZones() {
        let t = Self.instant
        #expect(
            t.format(Self.allTokens)
                == "2009 09 02 2 Feb February 13 13 13 23 11 11 31 31 30 30 PM pm Fri Friday 044  44 UTC")
        #expect(
            t.inLocation(Self.xst).format(Self.allTokens)
                == "2009 09 02 2 Feb February 14 14 14 05 05 5 01 1 30 30 AM am Sat Saturday 045  45 XST")
        #expect(
            t.inLocation(Self.unnamed).format(Self.allTokens)
                == "2009 09 02 2 Feb February 13 13 13 20 08 8 01 1 30 30 PM pm Fri Friday 044  44 -0330")
        #expect(t.format(Self.zoneTokens) == "+0000 +00:00 +00 Z Z Z +000000 +00:00:00 Z Z")
        #expect(
            t.inLocation(Self.xst).format(Self.zoneTokens)
                == "+0530 +05:30 +05 +0530 +05:30 +05 +053000 +05:30:00 +053000 +05:30:00")
        #expect(
            t.inLocation(Self.unnamed).format(Self.zoneTokens)
                == "-0330 -03:30 -03 -0330 -03:30 -03 -033000 -03:30:00 -033000 -03:30:00")
        #expect(t.format(Self.fractionTokens) == ".1 .123 .123 ,123 ,123 .123456789 .123456789 .1")
        #expect(t.format(Self.nearMisses) == "Janx Mony UTCx _2009 200913 2.30 30.1.1")
    }

    @Test func paddingAndTrimming() {
        let early = GoTime.date(year: 2024, month: 1, day: 5, hour: 0, minute: 7, second: 9, location: .utc)
        #expect(
            early.format(Self.allTokens + " .999 .000")
                == "2024 24 01 1 Jan January 05 5  5 00 12 12 07 7 09 9 AM am Fri Friday 005   5 UTC  .000")
        let noon = GoTime.date(year: 2024, month: 12, day: 31, hour: 12, nanosecond: 50_000, location: .utc)
        #expect(noon.format("3 03 PM pm 002 __2 .999 .000000") == "12 12 PM pm 366 366  .000050")
        #expect(noon.format("") == "")
        #expect(noon.format("no tokens here") == "no tokens here")
    }

    @Test func secondsOffsetsAndExtremeYears() {
        let odd = GoLocation.fixed(name: "ABC", offsetSeconds: 3_661)
        #expect(Self.instant.inLocation(odd).format("-07:00:00 Z070000") == "+01:01:01 +010101")
        let ancient = GoTime.date(year: -5, month: 3, day: 1, location: .utc)
        #expect(ancient.format("2006 06") == "-0005 05")
        let future = GoTime.date(year: 12_345, month: 3, day: 1, location: .utc)
        #expect(future.format("2006-01-02") == "12345-03-01")
    }

    @Test func timeString() {
        #expect(Self.instant.description == "2009-02-13 23:31:30.123456789 +0000 UTC")
        #expect(Self.instant.inLocation(Self.xst).description == "2009-02-14 05:01:30.123456789 +0530 XST")
        #expect(Self.instant.inLocation(Self.unnamed).description == "2009-02-13 20:01:30.123456789 -0330 -0330")
        #expect(
            GoTime.date(year: 2024, month: 1, day: 1, location: .utc).description == "2024-01-01 00:00:00 +0000 UTC")
        #expect(GoTime.date(year: -5, month: 3, day: 1, location: .utc).description == "-0005-03-01 00:00:00 +0000 UTC")
        #expect(GoTime.zero.description == "0001-01-01 00:00:00 +0000 UTC")
    }
}
