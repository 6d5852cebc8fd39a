import Foundation
import Testing

/// `os.clock` is wall time since the runtime started (Wippy's Go implementation), not the C library's CPU time.
/// Tested on the real binary: while the process sleeps the whole `wippy` process is idle, so a CPU clock would
/// hardly move, whatever else the machine (or the test process) is doing.
@Suite struct OSClockTests {
    @Test func clockAdvancesWithWallTimeWhileTheProcessSleeps() async throws {
        let project = try TemporaryProject.withMain("""
            local time = require("time")
            local function main()
                local before = os.clock()
                time.sleep("300ms")
                return string.format("%.3f", os.clock() - before)
            end
            return { main = main }
            """, extraEntries: "    modules: [time]")
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(run.status == 0, "\(run.stderr)")
        let elapsed = Double(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(elapsed >= 0.3, "os.clock advanced \(elapsed) s over a 300 ms sleep: \(run.stdout)")
    }
}
