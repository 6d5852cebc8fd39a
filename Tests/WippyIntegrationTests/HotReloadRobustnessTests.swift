import Foundation
import Testing

/// Hot reload never dies or goes deaf silently (issue 7, item 4), with the real binary: the source directory
/// moved away and back, or removed and restored, is followed; while a file is broken every save says the
/// reload is refused and which saved files wait, and they apply with the fix.
@Suite struct HotReloadRobustnessTests {
    typealias Daemon = HotReloadTests.Daemon

    func started(_ root: String) async throws -> Daemon {
        let daemon = try Daemon(in: root)
        #expect(try await daemon.wait { lines in
            HotReloadTests.tickers(lines).contains { $0.value == "v1" } && lines.contains { $0.contains("runtime ready") }
        })
        return daemon
    }

    func linesAfter(_ daemon: Daemon, _ count: Int) -> [Substring] { Array(daemon.lines.dropFirst(count)) }

    @Test func followsTheSourceDirectoryMovedAwayAndBack() async throws {
        let root = try HotReloadTests.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let daemon = try await started(root)
        do {
            #expect(rename(root + "/src", root + "/src.away") == 0)
            #expect(try await daemon.wait { lines in lines.contains { $0.contains("reload rejected") && $0.contains("does not exist") } })
            #expect(rename(root + "/src.away", root + "/src") == 0)
            #expect(try await daemon.wait { lines in lines.contains { $0.contains("back to the running version") } })
            try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v2\""))
            #expect(try await daemon.wait { _ in HotReloadTests.tickers(daemon.lines).contains { $0.value == "v2" } })
        }
        try await daemon.stop()
    }

    @Test func followsTheSourceDirectoryRemovedAndRestored() async throws {
        let root = try HotReloadTests.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.copyItem(atPath: root + "/src", toPath: root + "/backup")
        let daemon = try await started(root)
        do {
            try FileManager.default.removeItem(atPath: root + "/src")
            #expect(try await daemon.wait { lines in lines.contains { $0.contains("reload rejected") && $0.contains("does not exist") } })
            try FileManager.default.copyItem(atPath: root + "/backup", toPath: root + "/src")
            #expect(try await daemon.wait { lines in lines.contains { $0.contains("back to the running version") } })
            try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v2\""))
            #expect(try await daemon.wait { _ in HotReloadTests.tickers(daemon.lines).contains { $0.value == "v2" } })
        }
        try await daemon.stop()
    }

    @Test func everySaveWhileBrokenSaysSoAndTheWaitingSavesApplyWithTheFix() async throws {
        let root = try HotReloadTests.copyFixture()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let daemon = try await started(root)
        do {
            try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v3\" +"))
            #expect(try await daemon.wait { lines in lines.contains { $0.contains("reload rejected") && $0.contains("src/greet.lua:3") } })

            // An unrelated good save: refused again, naming the broken file and the waiting one.
            var index = try String(contentsOfFile: root + "/src/_index.yaml", encoding: .utf8)
            index += "  - name: marker\n    kind: registry.entry\n    value: 1\n"
            try HotReloadTests.write(root, "src/_index.yaml", index)
            #expect(try await daemon.wait { lines in
                lines.contains { $0.contains("reload still rejected") && $0.contains("src/greet.lua:3") && $0.contains("wait to be applied with the fix: src/_index.yaml") }
            })
            #expect(!daemon.text.contains("created app:marker"))

            // The fix applies both.
            try HotReloadTests.write(root, "src/greet.lua", HotReloadTests.greet("return \"v3\""))
            #expect(try await daemon.wait { lines in
                lines.contains { $0.contains("reloaded") && $0.contains("created app:marker") && $0.contains("updated app:greet") }
            })
            #expect(try await daemon.wait { _ in HotReloadTests.tickers(daemon.lines).contains { $0.value == "v3" } })
        }
        try await daemon.stop()
    }
}
