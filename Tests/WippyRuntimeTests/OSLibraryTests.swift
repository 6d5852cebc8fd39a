import Testing
import WippyCore
import WippyRuntime

/// `os` follows Wippy (Go) semantics, not the C library's (`os.clock` is tested on the real binary: see
/// WippyIntegrationTests/OSClockTests.swift).
@Suite struct OSLibraryTests {
    @Test func timeTableDefaultsAndDateRoundTrip() async {
        let harness = RuntimeHarness(workers: 1)
        let result = await harness.run(source: """
            return { main = function()
                local t = os.time{year = 2024, month = 3, day = 15}
                local d = os.date("*t", t)
                local utc = os.date("!%Y-%m-%d %H:%M:%S", 0)
                return string.format("%d %d %d %d %d %s %s", d.year, d.month, d.day, d.hour, d.min,
                    tostring(math.type(t)), utc)
            end }
            """)
        #expect(result.value == .string("2024 3 15 0 0 integer 1970-01-01 00:00:00"))
    }
}
