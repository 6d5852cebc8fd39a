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

    /// A format is expanded in one call that cannot be preempted: one of megabytes (which could expand to
    /// gigabytes) is refused with a clear error instead of holding the worker.
    @Test func aHugeDateFormatIsRefused() async {
        let harness = RuntimeHarness(workers: 1)
        let result = await harness.run(source: """
            return { main = function()
                local format = ("%c"):rep(1e6)
                local ok, e = pcall(function() return os.date(format) end)
                return tostring(ok) .. " " .. tostring(e):gsub("^.-: ", "") .. " " .. #os.date(("%Y"):rep(1000))
            end }
            """)
        #expect(result.value == .string("false bad argument #1 to 'date' (format too long (2000000 bytes, at most 65536)) 4000"))
    }
}
