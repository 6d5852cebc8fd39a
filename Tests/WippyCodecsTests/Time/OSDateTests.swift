import Testing
import WippyCodecs

/// `os.date` / `os.time`; expected strings were produced with Go's time formatting.
@Suite("OSDate")
struct OSDateTests {
    static let xst = GoLocation.fixed(name: "XST", offsetSeconds: 19_800)
    static let unnamed = GoLocation.fixed(name: "", offsetSeconds: -12_600)
    static let allSpecifiers = "%a|%A|%b|%B|%c|%d|%H|%I|%j|%m|%M|%p|%S|%U|%w|%W|%x|%X|%y|%Y|%z|%Z|%%|%Q|%"

    @Test func everySpecifierInLocalZone() {
        #expect(
            OSDate.format(Self.allSpecifiers, unixSeconds: 1_234_567_890, local: Self.xst)
                == "Sat|Saturday|Feb|February|Sat Feb 14 05:01:30 2009|14|05|05|045|02|01|AM|30|07|6|07|02/14/09|05:01:30|09|2009|+0530|XST|%|%Q|%"
        )
    }

    @Test func bangSelectsUTC() {
        #expect(
            OSDate.format("!" + Self.allSpecifiers, unixSeconds: 1_234_567_890, local: Self.xst)
                == "Fri|Friday|Feb|February|Fri Feb 13 23:31:30 2009|13|23|11|044|02|31|PM|30|07|5|07|02/13/09|23:31:30|09|2009|+0000|UTC|%|%Q|%"
        )
    }

    @Test func isoWeekForBothWeekSpecifiers() {
        #expect(OSDate.format("!%c %U %W %j", unixSeconds: 1_704_067_200) == "Mon Jan  1 00:00:00 2024 01 01 001")
        #expect(
            OSDate.format("%c %U %W %j %Z %z %p %I", unixSeconds: 1_735_516_800, local: Self.unnamed)
                == "Sun Dec 29 20:30:00 2024 52 52 364 -0330 -0330 PM 08")
        #expect(OSDate.format("!%U %W %j", unixSeconds: 1_735_516_800) == "01 01 365")
    }

    @Test func defaultFormatIsC() {
        #expect(OSDate.date(unixSeconds: 1_234_567_890, local: Self.xst) == .string("Sat Feb 14 05:01:30 2009"))
        #expect(OSDate.date("plain text", unixSeconds: 0, local: .utc) == .string("plain text"))
    }

    @Test func tableForm() {
        let local = OSDate.date("*t", unixSeconds: 1_234_567_890, local: Self.xst)
        #expect(
            local
                == .table(
                    DateTable(year: 2009, month: 2, day: 14, hour: 5, min: 1, sec: 30, wday: 7, yday: 45, isdst: false))
        )
        let utc = OSDate.date("!*t", unixSeconds: 1_234_567_890, local: Self.xst)
        #expect(
            utc
                == .table(
                    DateTable(
                        year: 2009, month: 2, day: 13, hour: 23, min: 31, sec: 30, wday: 6, yday: 44, isdst: false)))
        #expect(OSDate.table(unixSeconds: 1_704_067_200, utc: true).wday == 2)
    }

    @Test func tableReportsDaylightSaving() throws {
        let berlin = try GoLocation.load("Europe/Berlin")
        #expect(OSDate.table(unixSeconds: 1_719_820_800, utc: false, local: berlin).isdst)
        #expect(!OSDate.table(unixSeconds: 1_704_067_200, utc: false, local: berlin).isdst)
    }

    @Test func timeFromFieldsDefaultsToMidnightToday() {
        let now = GoTime(seconds: 1_234_567_890, location: .utc)  // 2009-02-14 05:01:30 in XST
        let midnight = OSDate.time(from: DateFields(), now: now, local: Self.xst)
        #expect(midnight == 1_234_549_800)  // 2009-02-14 00:00:00 +0530
        #expect(OSDate.time(from: DateFields(hour: 12), now: now, local: Self.xst) == 1_234_549_800 + 43_200)
        let full = DateFields(year: 2024, month: 1, day: 1, hour: 10, min: 30, sec: 15)
        #expect(OSDate.time(from: full, local: .utc) == 1_704_105_015)
        #expect(OSDate.time(from: DateFields(year: 2024, month: 13, day: 1), local: .utc) == 1_735_689_600)
        #expect(OSDate.time(from: DateFields(year: 2024, month: 3, day: 0), local: .utc) == 1_709_164_800)
        #expect(OSDate.time(from: DateFields(year: 2024, month: 1, day: 1, hour: -1), local: .utc) == 1_704_063_600)
    }
}
