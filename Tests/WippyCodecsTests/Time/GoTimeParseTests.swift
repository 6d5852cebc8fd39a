import Testing
import WippyCodecs
import WippyCore

/// Expected results and messages were produced by Go's `time.Parse` / `time.ParseInLocation`.
@Suite("GoTime parsing")
struct GoTimeParseTests {
    static let instant = GoTime(seconds: 1_234_567_890, nanoseconds: 123_456_789, location: .utc)
    static let xst = GoLocation.fixed(name: "XST", offsetSeconds: 19_800)

    static let namedLayouts = [
        GoLayouts.ansic, GoLayouts.unixDate, GoLayouts.rubyDate, GoLayouts.rfc822, GoLayouts.rfc822Z,
        GoLayouts.rfc850, GoLayouts.rfc1123, GoLayouts.rfc1123Z, GoLayouts.rfc3339, GoLayouts.rfc3339Nano,
        GoLayouts.kitchen, GoLayouts.stamp, GoLayouts.stampMilli, GoLayouts.stampMicro, GoLayouts.stampNano,
        GoLayouts.dateTime, GoLayouts.dateOnly, GoLayouts.timeOnly,
        "2006-01-02 15:04:05.999999999 -0700 MST", "Monday January 2 2006 3:4:5 pm", "2006-002 15:04",
        "-07 Z0700 Z07:00 Z07 Z070000 Z07:00:00 -070000 -07:00:00 2006-01-02",  // the last zone element wins
    ]

    /// Formatting then parsing in the same location gives back the same wall clock.
    @Test(arguments: namedLayouts)
    func roundTripInFixedZone(layout: String) throws {
        let t = Self.instant.inLocation(Self.xst)
        let parsed = try GoTime.parse(layout: layout, value: t.format(layout), in: Self.xst)
        #expect(parsed.format(layout) == t.format(layout))
        #expect(parsed.format("-0700") == "+0530")
    }

    @Test(arguments: namedLayouts)
    func roundTripInUTC(layout: String) throws {
        let parsed = try GoTime.parse(layout: layout, value: Self.instant.format(layout), in: .utc)
        #expect(parsed.format(layout) == Self.instant.format(layout))
    }

    @Test func rfc3339Values() throws {
        let z = try GoTime.parse(layout: GoLayouts.rfc3339, value: "2024-01-01T10:00:00Z")
        #expect(z.unix == 1_704_103_200)
        #expect(z.location.name == "UTC")
        let offset = try GoTime.parse(layout: GoLayouts.rfc3339, value: "2024-01-01T10:00:00+05:30", in: .utc)
        #expect(offset.unix == 1_704_083_400)
        #expect(offset.location.name == "")
        #expect(offset.description == "2024-01-01 10:00:00 +0530 +0530")
        let nano = try GoTime.parse(layout: GoLayouts.rfc3339Nano, value: "2024-01-01T10:00:00.5-01:00", in: .utc)
        #expect(nano.nanosecond == 500_000_000)
        #expect(nano.unix == 1_704_106_800)
        // A matching offset selects the location itself.
        let matched = try GoTime.parse(layout: GoLayouts.rfc3339, value: "2024-01-01T10:00:00+05:30", in: Self.xst)
        #expect(matched.location.name == "XST")
    }

    @Test func defaultsAndLocations() throws {
        let timeOnly = try GoTime.parse(layout: "15:04", value: "10:30")
        #expect(timeOnly.description == "0000-01-01 10:30:00 +0000 UTC")
        let inZone = try GoTime.parse(layout: GoLayouts.dateTime, value: "2024-07-01 10:00:00", in: Self.xst)
        #expect(inZone.unix == 1_719_808_200)
        #expect(inZone.location.name == "XST")
        let gmt = try GoTime.parse(layout: "2006-01-02 15:04:05 MST", value: "2024-07-01 10:00:00 GMT+3", in: .utc)
        // Go keeps the UTC reading for GMT+h abbreviations and only attaches the offset.
        #expect(gmt.description == "2024-07-01 13:00:00 +0300 GMT+3")
        let unknown = try GoTime.parse(layout: "2006-01-02 15:04:05 MST", value: "2024-07-01 10:00:00 ABCT", in: .utc)
        #expect(unknown.description == "2024-07-01 10:00:00 +0000 ABCT")
        let utc = try GoTime.parse(layout: "2006-01-02 15:04:05 MST", value: "2024-07-01 10:00:00 UTC", in: Self.xst)
        #expect(utc.location.name == "UTC")
        let known = try GoTime.parse(layout: "2006-01-02 15:04:05 MST", value: "2024-07-01 10:00:00 XST", in: Self.xst)
        #expect(known.unix == 1_719_808_200)
    }

    @Test func flexibleFields() throws {
        #expect(try GoTime.parse(layout: "Jan 2", value: "jAN 5").description == "0000-01-05 00:00:00 +0000 UTC")
        #expect(try GoTime.parse(layout: "3:04PM", value: "12:30AM").hour == 0)
        #expect(try GoTime.parse(layout: "3:04PM", value: "12:30PM").hour == 12)
        #expect(try GoTime.parse(layout: "3:04pm", value: "1:30pm").hour == 13)
        #expect(try GoTime.parse(layout: "02 Jan 06", value: "05 Mar 68").year == 2068)
        #expect(try GoTime.parse(layout: "02 Jan 06", value: "05 Mar 69").year == 1969)
        #expect(try GoTime.parse(layout: "2006-01-02 15:04", value: "2024-01-01  10:30").minute == 30)
        #expect(try GoTime.parse(layout: "_2 Jan", value: " 5 Jan").day == 5)
        #expect(try GoTime.parse(layout: "2006 __2", value: "2024   5").yearDay == 5)
        // Fractional seconds in the value but not in the layout are accepted.
        #expect(try GoTime.parse(layout: "15:04:05", value: "23:59:59,5").nanosecond == 500_000_000)
        #expect(try GoTime.parse(layout: "15:04:05", value: "23:59:59.123456789123").nanosecond == 123_456_789)
        #expect(try GoTime.parse(layout: "2006-01-02 15:04:05.999", value: "2024-01-01 10:00:00").nanosecond == 0)
        #expect(
            try GoTime.parse(layout: "2006-01-02 15:04:05,000", value: "2024-01-01 10:00:00.123").nanosecond
                == 123_000_000)
        // Day of year.
        #expect(try GoTime.parse(layout: "2006-002", value: "2024-060").format("01-02") == "02-29")
        #expect(try GoTime.parse(layout: "2006-002", value: "2023-060").format("01-02") == "03-01")
        #expect(try GoTime.parse(layout: "2006-002", value: "2024-366").format("01-02") == "12-31")
    }

    @Test(arguments: [
        ("2006-01-02", "2024-02-30", #"parsing time "2024-02-30": day out of range"#),
        ("2006-01-02", "2024-13-01", #"parsing time "2024-13-01": month out of range"#),
        ("2006-01-02", "24-01-01", #"parsing time "24-01-01" as "2006-01-02": cannot parse "24-01-01" as "2006""#),
        ("2006-01-02", "2024-1-01", #"parsing time "2024-1-01" as "2006-01-02": cannot parse "1-01" as "01""#),
        ("2006-01-02", "2024-01-01 extra", #"parsing time "2024-01-01 extra": extra text: " extra""#),
        (
            "2006-01-02 15:04", "2024-01-0110:30",
            #"parsing time "2024-01-0110:30" as "2006-01-02 15:04": cannot parse "10:30" as " ""#
        ),
        ("15:04:05", "24:00:00", #"parsing time "24:00:00": hour out of range"#),
        ("15:04:05", "23:60:00", #"parsing time "23:60:00": minute out of range"#),
        ("15:04:05", "23:59:60", #"parsing time "23:59:60": second out of range"#),
        ("3:04PM", "13:30PM", #"parsing time "13:30PM": hour out of range"#),
        ("3:04PM", "1:30XM", #"parsing time "1:30XM" as "3:04PM": cannot parse "XM" as "PM""#),
        ("Mon Jan 2", "Fxx Feb 3", #"parsing time "Fxx Feb 3" as "Mon Jan 2": cannot parse "Fxx Feb 3" as "Mon""#),
        ("2006-002", "2023-366", #"parsing time "2023-366": day-of-year out of range"#),
        ("2006-01-002", "2024-02-061", #"parsing time "2024-02-061": day-of-year does not match month"#),
        (
            "2006-01-02 15:04:05.000", "2024-01-01 10:00:00.12",
            #"parsing time "2024-01-01 10:00:00.12" as "2006-01-02 15:04:05.000": cannot parse ".12" as ".000""#
        ),
        (
            "2006-01-02T15:04:05Z07:00", "2024-01-01T10:00:00+25:00",
            #"parsing time "2024-01-01T10:00:00+25:00": time zone offset hour out of range"#
        ),
        (
            "2006-01-02T15:04:05Z07:00", "2024-01-01T10:00:00+0500",
            #"parsing time "2024-01-01T10:00:00+0500" as "2006-01-02T15:04:05Z07:00": cannot parse "+0500" as "Z07:00""#
        ),
        (
            "2006-01-02 15:04:05 MST", "2024-07-01 10:00:00 AB",
            #"parsing time "2024-07-01 10:00:00 AB" as "2006-01-02 15:04:05 MST": cannot parse "AB" as "MST""#
        ),
        ("", "x", #"parsing time "x": extra text: "x""#),
        ("x", "", #"parsing time "" as "x": cannot parse "" as "x""#),
    ])
    func errors(layout: String, value: String, message: String) {
        #expect(throws: WippyError.invalid(message)) { try GoTime.parse(layout: layout, value: value, in: .utc) }
    }
}
