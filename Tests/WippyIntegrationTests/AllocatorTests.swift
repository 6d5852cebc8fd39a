import Testing

/// The `wippy` binary allocates with jemalloc (Package.swift says why), and `system.gc.collect()` gives the
/// memory a collection freed back to the system at once, as it did on glibc's heap.
@Suite struct AllocatorTests {
    /// jemalloc alone reads `MALLOC_CONF`; with `stats_print` it writes its statistics to stderr at exit.
    @Test func theBinaryAllocatesWithJemalloc() async throws {
        let run = try await WippyBinary.run(["--help"], in: "/", environment: ["MALLOC_CONF": "stats_print:true"])
        #expect(run.status == 0)
        #expect(run.stderr.contains("jemalloc statistics"), "\(run.stderr.prefix(300))")
    }

    /// 200 MB of strings, dropped and collected: the resident set is back near where it started. Without the
    /// purge, jemalloc keeps the freed pages for its decay time (about 50 of the 200 MB were still resident).
    @Test func collectingReturnsFreedMemoryToTheSystem() async throws {
        let project = try TemporaryProject.withMain(
            """
            local io = require("io")
            local system = require("system")
            local function main()
                system.gc.collect()
                local before = system.memory.stats().rss
                local kept = {}
                for i = 1, 200 do kept[i] = string.rep(string.char(65 + i % 26), 1024 * 1024) .. i end
                local grown = system.memory.stats().rss
                kept = nil
                system.gc.collect()
                local after = system.memory.stats().rss
                io.print(string.format("%d %d", (grown - before) // 1048576, (after - before) // 1048576))
                return 0
            end
            return { main = main }
            """, modules: ["io", "system"])
        let run = try await WippyBinary.run(["run", "--history", "memory", "-x", "app:main"], in: project.root)
        #expect(run.status == 0, "\(run.stderr.prefix(1000))")
        let numbers = run.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        #expect(numbers.count == 2, "\(run.stdout)")
        guard numbers.count == 2 else { return }
        #expect(numbers[0] >= 150, "the strings did not grow the resident set: \(run.stdout)")
        #expect(numbers[1] < 25, "MB still resident after the collection: \(numbers[1])")
    }
}
