internal import Foundation
import Testing
import WippyCodecs
import WippyCore

/// IANA zones come from the system's zoneinfo files (or Foundation); expected values are Go's.
@Suite("GoLocation")
struct GoLocationTests {
    @Test func namesOfBuiltInLocations() {
        #expect(GoLocation.utc.name == "UTC")
        #expect(GoLocation.fixed(name: "XST", offsetSeconds: 19_800).name == "XST")
        #expect(GoLocation.fixed(name: "XST", offsetSeconds: 19_800).description == "XST")
    }

    @Test func loadErrors() {
        #expect(throws: WippyError.invalid(#"time: invalid location name """#)) { try GoLocation.load("") }
        #expect(throws: WippyError.invalid("time: invalid location name")) { try GoLocation.load("../etc/passwd") }
        #expect(throws: WippyError.notFound("unknown time zone Nope/Zone")) { try GoLocation.load("Nope/Zone") }
        do {
            _ = try GoLocation.load("Nope/Zone")
        } catch {
            #expect(error.kind == .notFound)
        }
    }

    @Test func loadSpecialNames() throws {
        #expect(try GoLocation.load("UTC").name == "UTC")
        #expect(try GoLocation.load("Local").name == GoLocation.local.name)
        #expect(try GoLocation.load("Europe/Berlin").name == "Europe/Berlin")
    }

    @Test func daylightSavingTransitions() throws {
        let berlin = try GoLocation.load("Europe/Berlin")
        let newYork = try GoLocation.load("America/New_York")
        let sydney = try GoLocation.load("Australia/Sydney")
        func date(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int = 0, _ loc: GoLocation) -> GoTime {
            GoTime.date(year: y, month: m, day: d, hour: h, minute: mi, location: loc)
        }
        #expect(date(2024, 7, 1, 12, 0, berlin).description == "2024-07-01 12:00:00 +0200 CEST")
        #expect(date(2024, 1, 1, 12, 0, berlin).description == "2024-01-01 12:00:00 +0100 CET")
        #expect(date(2024, 7, 1, 12, 0, berlin).components.isDST)
        // Past the last listed transition the footer rule applies.
        #expect(date(2060, 7, 1, 12, 0, newYork).description == "2060-07-01 12:00:00 -0400 EDT")
        #expect(date(2060, 1, 1, 12, 0, sydney).description == "2060-01-01 12:00:00 +1100 AEDT")
        // Skipped and repeated wall clocks resolve as in Go.
        let skipped = date(2024, 3, 31, 2, 30, berlin)
        #expect(skipped.description == "2024-03-31 03:30:00 +0200 CEST")
        #expect(skipped.unix == 1_711_848_600)
        let repeated = date(2024, 10, 27, 2, 30, berlin)
        #expect(repeated.description == "2024-10-27 02:30:00 +0100 CET")
        #expect(repeated.unix == 1_729_992_600)
        #expect(date(2024, 11, 3, 1, 30, newYork).description == "2024-11-03 01:30:00 -0400 EDT")
        #expect(GoTime(seconds: 1_711_846_799, location: berlin).description == "2024-03-31 01:59:59 +0100 CET")
        #expect(GoTime(seconds: 1_711_846_800, location: berlin).description == "2024-03-31 03:00:00 +0200 CEST")
        // Local mean time before standard time existed.
        #expect(date(1850, 1, 1, 0, 0, berlin).description == "1850-01-01 00:00:00 +0053 LMT")
    }

    @Test func parseMatchesZoneAbbreviationsAndOffsets() throws {
        let berlin = try GoLocation.load("Europe/Berlin")
        let newYork = try GoLocation.load("America/New_York")
        let summer = try GoTime.parse(layout: "2006-01-02 15:04 MST", value: "2024-07-01 10:00 CEST", in: berlin)
        #expect(summer.unix == 1_719_820_800)
        #expect(summer.location.name == "Europe/Berlin")
        let winter = try GoTime.parse(layout: "2006-01-02 15:04 MST", value: "2024-01-01 10:00 EST", in: newYork)
        #expect(winter.unix == 1_704_121_200)
        let offset = try GoTime.parse(layout: GoLayouts.rfc3339, value: "2024-07-01T10:00:00+02:00", in: berlin)
        #expect(offset.location.name == "Europe/Berlin")
        #expect(offset.description == "2024-07-01 10:00:00 +0200 CEST")
    }

    @Test func fixedOffsetZoneFiles() throws {
        let gmtPlus3 = try GoLocation.load("Etc/GMT+3")
        #expect(GoTime(seconds: 1_234_567_890, location: gmtPlus3).description == "2009-02-13 20:31:30 -0300 -03")
    }

    /// The local zone agrees with the system's notion of the current zone.
    @Test func localZoneWorks() {
        let now = GoTime.now()
        #expect(now.location.name == GoLocation.local.name)
        let expected = TimeZone.current.secondsFromGMT(for: Date(timeIntervalSince1970: Double(now.unix)))
        if ProcessInfo.processInfo.environment["TZ"] == nil {
            #expect(now.zone.offset == expected)
        }
        let wall = GoTime.date(
            year: now.year, month: now.month, day: now.day, hour: now.hour, minute: now.minute,
            second: now.second, nanosecond: now.nanosecond)
        #expect(wall.equal(now))
    }
}
