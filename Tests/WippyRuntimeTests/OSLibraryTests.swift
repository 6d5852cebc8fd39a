import Testing
import WippyCore
import WippyRuntime

/// `os` follows Wippy (Go) semantics, not the C library's.
@Suite struct OSLibraryTests {
    @Test func clockIsWallTimeNotCPUTime() async {
        let harness = RuntimeHarness(workers: 1)
        // A process that sleeps burns no CPU; os.clock still advances by the wall time that passed.
        harness.install("test:sleepy", source: """
            return { main = function()
                local before = os.clock()
                local inbox = process.inbox()
                local timeout = channel.new()
                -- wait about 50 ms without using CPU: nobody sends, so use a bounded busy-free wait on a timer-less
                -- channel select with default in a loop of yields is not CPU free; use coroutine yields instead
                local deadline = before + 0.05
                while os.clock() < deadline do coroutine.yield() end
                return os.clock() - before
            end }
            """)
        let result = await harness.run("test:sleepy")
        let elapsed = result.value.doubleValue ?? -1
        #expect(elapsed >= 0.05)
    }

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
