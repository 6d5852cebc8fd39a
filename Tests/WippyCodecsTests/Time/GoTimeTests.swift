import Testing
import WippyCodecs

/// Calendar arithmetic; expected values were produced by Go's `time` package.
@Suite("GoTime calendar")
struct GoTimeTests {
    static func utc(
        _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
        _ nanosecond: Int = 0
    ) -> GoTime {
        GoTime.date(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second,
            nanosecond: nanosecond, location: .utc
        )
    }

    @Test func dateNormalisesOutOfRangeFields() {
        #expect(Self.utc(2024, 13, 1).description == "2025-01-01 00:00:00 +0000 UTC")
        #expect(Self.utc(2024, 3, 0).description == "2024-02-29 00:00:00 +0000 UTC")
        #expect(Self.utc(2023, 3, 0).description == "2023-02-28 00:00:00 +0000 UTC")
        #expect(Self.utc(2024, 1, 1, -1).description == "2023-12-31 23:00:00 +0000 UTC")
        #expect(Self.utc(2024, 1, 1, 0, -1, -1, -1).description == "2023-12-31 23:58:58.999999999 +0000 UTC")
        #expect(Self.utc(2024, 0, 0).description == "2023-11-30 00:00:00 +0000 UTC")
        #expect(Self.utc(2024, -11, 1).description == "2023-01-01 00:00:00 +0000 UTC")
        #expect(Self.utc(2024, 1, 1, 48, 120, 3600, 2_000_000_000).description == "2024-01-03 03:00:02 +0000 UTC")
        #expect(Self.utc(2024, 2, 30).description == "2024-03-01 00:00:00 +0000 UTC")
    }

    @Test func dateInFixedZoneSubtractsOffset() {
        let t = GoTime.date(
            year: 2024, month: 7, day: 1, hour: 10, location: .fixed(name: "XST", offsetSeconds: 19_800))
        #expect(t.unix == 1_719_808_200)
        #expect(t.hour == 10)
        #expect(t.utc().hour == 4)
        #expect(t.utc().minute == 30)
    }

    /// (date, weekday, yearDay, isoYear, isoWeek)
    @Test(arguments: [
        ("2020-12-31", 4, 366, 2020, 53),
        ("2021-01-01", 5, 1, 2020, 53),
        ("2021-01-03", 0, 3, 2020, 53),
        ("2021-01-04", 1, 4, 2021, 1),
        ("2024-12-29", 0, 364, 2024, 52),
        ("2024-12-30", 1, 365, 2025, 1),
        ("2025-12-28", 0, 362, 2025, 52),
        ("2025-12-29", 1, 363, 2026, 1),
        ("2026-01-01", 4, 1, 2026, 1),
        ("2027-01-01", 5, 1, 2026, 53),
        ("2027-01-03", 0, 3, 2026, 53),
        ("2015-12-31", 4, 365, 2015, 53),
        ("2016-01-01", 5, 1, 2015, 53),
        ("2016-01-03", 0, 3, 2015, 53),
        ("2016-12-31", 6, 366, 2016, 52),
        ("2008-12-29", 1, 364, 2009, 1),
    ])
    func weekdayYearDayAndISOWeek(date: String, weekday: Int, yearDay: Int, isoYear: Int, isoWeek: Int) throws {
        let t = try GoTime.parse(layout: GoLayouts.dateOnly, value: date, in: .utc)
        #expect(t.weekday == weekday)
        #expect(t.yearDay == yearDay)
        #expect(t.isoWeek.year == isoYear)
        #expect(t.isoWeek.week == isoWeek)
        let c = t.components
        #expect(c.weekday == weekday && c.yearDay == yearDay)
    }

    @Test func fieldsAcrossZones() {
        let t = GoTime(seconds: 1_234_567_890, nanoseconds: 123_456_789, location: .utc)
        #expect((t.year, t.month, t.day, t.hour, t.minute, t.second) == (2009, 2, 13, 23, 31, 30))
        #expect(t.nanosecond == 123_456_789)
        let east = t.inLocation(.fixed(name: "XST", offsetSeconds: 19_800))
        #expect((east.year, east.month, east.day, east.hour, east.minute, east.weekday) == (2009, 2, 14, 5, 1, 6))
        #expect(east.zone.name == "XST" && east.zone.offset == 19_800)
        let c = east.components
        #expect(c.zoneName == "XST" && c.zoneOffset == 19_800 && !c.isDST)
        // Before 1970 and before year 1.
        let old = GoTime(seconds: -62_135_596_801, location: .utc)
        #expect(old.description == "0000-12-31 23:59:59 +0000 UTC")
        #expect(GoTime.zero.isZero && !old.isZero)
    }

    @Test func addDateOverflowsLikeGo() {
        #expect(
            Self.utc(2023, 1, 31, 10, 20, 30, 40).addingDate(months: 1).description
                == "2023-03-03 10:20:30.00000004 +0000 UTC")
        #expect(
            Self.utc(2024, 1, 31, 10, 20, 30, 40).addingDate(months: 1).description
                == "2024-03-02 10:20:30.00000004 +0000 UTC")
        #expect(
            Self.utc(2024, 2, 29, 10, 20, 30, 40).addingDate(years: 1).description
                == "2025-03-01 10:20:30.00000004 +0000 UTC")
        #expect(
            Self.utc(2024, 3, 31, 10, 20, 30, 40).addingDate(months: -1).description
                == "2024-03-02 10:20:30.00000004 +0000 UTC")
        #expect(
            Self.utc(2024, 12, 31, 10, 20, 30, 40).addingDate(days: 1).description
                == "2025-01-01 10:20:30.00000004 +0000 UTC")
        #expect(
            Self.utc(2024, 5, 15, 10, 20, 30, 40).addingDate(years: -1, months: -14, days: -400).description
                == "2021-02-08 10:20:30.00000004 +0000 UTC")
    }

    @Test func roundAndTruncateCountFromYearOne() {
        let t = Self.utc(2024, 5, 15, 10, 37, 45, 500_000_000)
        let cases: [(GoDuration, String, String)] = [
            (.second, "2024-05-15 10:37:46 +0000 UTC", "2024-05-15 10:37:45 +0000 UTC"),
            (.minute, "2024-05-15 10:38:00 +0000 UTC", "2024-05-15 10:37:00 +0000 UTC"),
            (.hour, "2024-05-15 11:00:00 +0000 UTC", "2024-05-15 10:00:00 +0000 UTC"),
            (GoDuration(7 * 3_600_000_000_000), "2024-05-15 08:00:00 +0000 UTC", "2024-05-15 08:00:00 +0000 UTC"),
            (GoDuration(24 * 3_600_000_000_000), "2024-05-15 00:00:00 +0000 UTC", "2024-05-15 00:00:00 +0000 UTC"),
            (.zero, "2024-05-15 10:37:45.5 +0000 UTC", "2024-05-15 10:37:45.5 +0000 UTC"),
            (GoDuration(-1), "2024-05-15 10:37:45.5 +0000 UTC", "2024-05-15 10:37:45.5 +0000 UTC"),
        ]
        for (unit, rounded, truncated) in cases {
            #expect(t.rounded(to: unit).description == rounded)
            #expect(t.truncated(to: unit).description == truncated)
        }
        let old = GoTime.zero.adding(GoDuration(-1_500_000_000))
        #expect(old.description == "0000-12-31 23:59:58.5 +0000 UTC")
        #expect(old.rounded(to: .second).description == "0000-12-31 23:59:59 +0000 UTC")
        #expect(old.truncated(to: .second).description == "0000-12-31 23:59:58 +0000 UTC")
    }

    @Test func addSubAndUnixValues() {
        let a = GoTime(seconds: 1, location: .utc)
        let b = GoTime(seconds: 100_000_000_000, location: .utc)
        #expect(b.sub(a) == .max)
        #expect(a.sub(b) == .min)
        #expect(
            GoTime(seconds: 5, nanoseconds: 1).sub(GoTime(seconds: 3, nanoseconds: 999_999_999)).nanoseconds
                == 1_000_000_002)
        let base = GoTime(seconds: 1_700_000_000, location: .utc)
        #expect(base.adding(GoDuration(999_999_999)).adding(.nanosecond).description == "2023-11-14 22:13:21 +0000 UTC")
        #expect(base.adding(GoDuration(-1)).description == "2023-11-14 22:13:19.999999999 +0000 UTC")
        #expect(base.adding(GoDuration(-90 * 60_000_000_000)).description == "2023-11-14 20:43:20 +0000 UTC")
        let precise = GoTime(seconds: 1_700_000_000, nanoseconds: 123_456_789)
        #expect(precise.unixNano == 1_700_000_000_123_456_789)
        #expect(precise.unixMilli == 1_700_000_000_123)
        #expect(GoTime(seconds: -1, nanoseconds: 500_000_000).unixMilli == -500)
        #expect(GoTime(seconds: 1_000_000_000_000).unixNano == 3_875_820_019_684_212_736)  // wraps like Go
        #expect(GoTime(seconds: 5, nanoseconds: -1).description == "1970-01-01 00:00:04.999999999 +0000 UTC")
        #expect(GoTime(seconds: 5, nanoseconds: 2_000_000_003).description == "1970-01-01 00:00:07.000000003 +0000 UTC")
        #expect(
            GoTime(seconds: 5, nanoseconds: -2_000_000_003).description == "1970-01-01 00:00:02.999999997 +0000 UTC")
        #expect(a.before(b) && b.after(a) && !a.equal(b) && a.compare(b) == -1 && b.compare(a) == 1)
        #expect(a.equal(a.inLocation(.fixed(name: "X", offsetSeconds: 60))) && a.compare(a) == 0)
    }

    @Test func nowIsCloseToTheSystemClock() {
        let now = GoTime.now(in: .utc)
        #expect(now.year >= 2024)
        #expect(now.location.name == "UTC")
        #expect(GoTime.now().sub(now).nanoseconds >= 0)
    }
}
