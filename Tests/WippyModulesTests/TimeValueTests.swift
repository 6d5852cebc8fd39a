import Testing
import WippyCore

/// Time, Duration and Location values, constants and layouts.
@Suite struct TimeValueTests {
    @Test func durationUnitsAreIntegersAndFractionsAreFloats() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local d = time.parse_duration("500ms")
                local h = time.parse_duration("1h30m")
                return {
                    d:milliseconds(), math.type(d:milliseconds()), math.type(d:nanoseconds()),
                    d:microseconds(), d:seconds(), h:minutes(), h:hours(), tostring(h), tostring(d),
                    math.type(500 * time.MILLISECOND), time.HOUR, tostring(time.parse_duration(1500))
                }
            end
            """)
        #expect(result.value == .array([
            500, "integer", "integer", 500_000, 0.5, 90.0, 1.5, "1h30m0s", "500ms", "integer", 3_600_000_000_000, "1.5µs",
        ]))
    }

    @Test func parseDurationAcceptsEveryDurationLikeForm() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local a = time.parse_duration(2 * time.SECOND)
                local b = time.parse_duration(2.5e9)
                local c = time.parse_duration(a)
                local bad, err = time.parse_duration("1d")
                return {a:nanoseconds(), b:nanoseconds(), c == a, a < b, bad == nil, err:kind(), err:message()}
            end
            """)
        #expect(result.value == .array([
            2_000_000_000, 2_500_000_000, true, true, true, "Invalid", "time: unknown unit \"d\" in duration \"1d\"",
        ]))
    }

    @Test func dateFormatsWithGoLayoutsAndConstants() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t = time.date(2024, time.JANUARY, 15, 10, 30, 5, 123000000, time.utc)
                return {
                    t:format(time.RFC3339), t:format(time.RFC3339NANO), t:format(time.DATE_TIME),
                    t:format(time.DATE_ONLY), t:format(time.TIME_ONLY), t:format(time.KITCHEN),
                    t:format(time.RFC1123), t:format_rfc3339(), t:format("Jan _2 2006 15h04"), tostring(t),
                }
            end
            """)
        #expect(result.value == .array([
            "2024-01-15T10:30:05Z", "2024-01-15T10:30:05.123Z", "2024-01-15 10:30:05", "2024-01-15", "10:30:05",
            "10:30AM", "Mon, 15 Jan 2024 10:30:05 UTC", "2024-01-15T10:30:05Z", "Jan 15 2024 10h30",
            "2024-01-15 10:30:05.123 +0000 UTC",
        ]))
    }

    @Test func calendarAccessors() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t = time.date(2024, 2, 29, 23, 59, 58, 7, time.utc)
                local y, m, d = t:date()
                local h, mi, s = t:clock()
                return {y, m, d, h, mi, s, t:year(), t:month(), t:day(), t:hour(), t:minute(), t:second(),
                    t:nanosecond(), t:weekday(), t:year_day(), t:is_zero(), time.THURSDAY, time.DECEMBER}
            end
            """)
        #expect(result.value == .array([2024, 2, 29, 23, 59, 58, 2024, 2, 29, 23, 59, 58, 7, 4, 60, false, 4, 12]))
    }

    @Test func arithmeticAndComparison() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t = time.date(2024, 1, 31, 12, 0, 0, 0, time.utc)
                local later = t:add("90m")
                local d = later:sub(t)
                local next_month = t:add_date(0, 1, 0)
                local normalised = time.date(2024, 13, 1, 0, 0, 0, 0, time.utc)
                return {
                    later:format(time.TIME_ONLY), d:minutes(), tostring(d), later:after(t), t:before(later),
                    t:equal(t:add(0)), later == t:add(90 * time.MINUTE), t < later,
                    next_month:format(time.DATE_ONLY), normalised:format(time.DATE_ONLY),
                    t:add(-time.HOUR):format(time.TIME_ONLY), t:add(1.5e9):second(),
                }
            end
            """)
        #expect(result.value == .array([
            "13:30:00", 90.0, "1h30m0s", true, true, true, true, true, "2024-03-02", "2025-01-01", "11:00:00", 1,
        ]))
    }

    @Test func unixRoundAndTruncate() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t = time.unix(1700000000, 600000000)
                local utc = t:utc()
                local ok_number = pcall(t.round, t, 1000)
                local ok_string = pcall(t.truncate, t, "1s")
                return {
                    t:unix(), t:unix_nano(), math.type(t:unix_nano()), utc:round(time.parse_duration("1s")):unix(),
                    utc:truncate(time.parse_duration("1h")):format(time.TIME_ONLY), ok_number, ok_string,
                    utc:location():string(), tostring(t:location()), tostring(time.utc), time.localtz:string(),
                }
            end
            """)
        #expect(result.value == .array([
            1_700_000_000, 1_700_000_000_600_000_000, "integer", 1_700_000_001, "22:00:00", false, false,
            "UTC", "Local", "UTC", "Local",
        ]))
    }

    @Test func locationsAndZones() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local plus2 = time.fixed_zone("PLUS2", 7200)
                local t = time.date(2024, 6, 1, 12, 0, 0, 0, time.utc)
                local shifted = t:in_location(plus2)
                local empty, err1 = time.load_location("")
                local missing, err2 = time.load_location("Nowhere/Atlantis")
                local utc = time.load_location("UTC")
                return {
                    shifted:format("15:04 MST -07:00"), shifted:equal(t), shifted:location():string(),
                    shifted:in_local():equal(t), empty == nil, err1:kind(), missing == nil, err2:kind(),
                    utc:string(),
                }
            end
            """)
        #expect(result.value == .array(["14:00 PLUS2 +02:00", true, "PLUS2", true, true, "Invalid", true, "NotFound", "UTC"]))
    }

    @Test func parseUsesLayoutsAndReportsInvalid() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t = time.parse(time.RFC3339, "2024-01-15T10:30:00+02:00")
                local plain = time.parse(time.DATE_TIME, "2024-01-15 10:30:00")
                local zoned = time.parse(time.DATE_ONLY, "2024-01-15", time.fixed_zone("X", 3600))
                local bad, err = time.parse(time.DATE_ONLY, "15/01/2024")
                return {t:unix(), t:utc():hour(), plain:location():string(), zoned:unix(), bad == nil, err:kind()}
            end
            """)
        #expect(result.value == .array([1_705_307_400, 8, "UTC", 1_705_273_200, true, "Invalid"]))
    }

    @Test func misuseRaises() async {
        let harness = ModulesHarness()
        let result = await harness.run("""
            return function()
                local t = time.now()
                local results = {}
                for _, f in ipairs{
                    function() return time.date(2024, 1, 1) end,
                    function() return t.year({}) end,
                    function() return t:sub(5) end,
                    function() return t:add({}) end,
                    function() return t:add_date(1.5, 0, 0) end,
                    function() return time.parse(1, 2) end,
                    function() return time.fixed_zone("x") end,
                    function() return time.parse_duration("1s").seconds(t) end,
                } do
                    local ok, err = pcall(f)
                    table.insert(results, ok)
                end
                return results
            end
            """)
        #expect(result.value == .array([false, false, false, false, false, false, false, false]))
    }

    @Test func timeIsMissingWithoutTheModule() async {
        let harness = ModulesHarness()
        harness.install("test:bare", source: "return function() return type(time), pcall(require, 'time') end")
        let result = await harness.runEntry("test:bare")
        #expect(result.value == "nil")
    }
}
