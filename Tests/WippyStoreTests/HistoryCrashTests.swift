import HashTreeCollections
import Foundation
import Testing
import WippyCore
import WippyStore

/// A process killed with SIGKILL while it applies changesets leaves every changeset whole or absent, and
/// the head on the last version it saved.
@Suite struct HistoryCrashTests {
    static let entryNames = ["a", "b", "c"]
    /// Changesets rotate over this many groups of three entries, so later ones update what earlier ones created.
    static let groups: UInt64 = 5

    @Test func killedMidApplyLeavesWholeChangesets() async throws {
        if let path = CrashChild.argument {
            try Self.applyForever(path: path)
            return
        }
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        var previousHead: UInt64 = 0
        for round in 0..<4 {
            let child = try CrashChild(test: "killedMidApplyLeavesWholeChangesets", argument: path, log: dir.path + "/child\(round).log")
            // wait for the first save (starting the test binary takes a moment), then kill at a random moment
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(120)
            while child.isRunning && !child.output.contains("saved ") && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 0...150)))
            let running = child.isRunning
            child.kill()
            let output = child.output
            let saved = output.split(separator: "\n").compactMap { line in
                line.hasPrefix("saved ") ? UInt64(line.dropFirst("saved ".count)) : nil
            }.max()
            guard running, let saved else {
                Issue.record("round \(round): the child ended on its own or saved nothing:\n\(output)")
                return
            }
            try Self.check(path: path, round: round, reported: saved, previousHead: previousHead, headOut: &previousHead)
        }
    }

    /// Reopens the history and checks it against what the killed child reported.
    static func check(path: String, round: Int, reported: UInt64, previousHead: UInt64, headOut: inout UInt64) throws {
        let history = try SQLiteRegistryHistory(path: path)
        let (versions, head) = try history.load()
        // killed after a save but before printing it, the head may be one past the last report
        #expect(head == reported || head == reported + 1, "round \(round): head v\(head), last reported v\(reported)")
        #expect(head > previousHead, "round \(round): no progress")
        #expect(versions.map(\.id) == Array(1...head), "round \(round): versions are not v1...v\(head)")
        for version in versions {
            let tags = Set(version.changes.map { $0.entry.meta["tag"]?.intValue })
            #expect(version.changes.count == 3 && tags == [Int64(version.id)], "round \(round): \(version) is not whole")
            #expect(version.parent == version.id - 1)
        }
        let registry = Registry(history: history)
        registry.add(participant: AcceptingParticipant())
        try registry.boot(baseline: [])
        #expect(registry.version == head)
        for group in 0..<groups {
            let tags = entryNames.map { registry.entry(EntryID(parsing: "crash:\($0)\(group)"))?.meta["tag"]?.intValue }
            #expect(Set(tags).count == 1, "round \(round): group \(group) mixes changesets: \(tags)")
        }
        let latest = registry.snapshot.entries.values.filter { $0.meta["tag"] == .int(Int64(head)) }
        #expect(latest.count == 3, "round \(round): the head's changeset is not all there")
        headOut = head
    }

    /// The child: applies three-entry changesets through the registry until killed (or its parent is gone).
    static func applyForever(path: String) throws {
        let registry = Registry(history: try SQLiteRegistryHistory(path: path))
        registry.add(participant: AcceptingParticipant())
        try registry.boot(baseline: [])
        var tag = registry.version + 1
        let start = ContinuousClock.now
        _ = CrashChild.parent
        while CrashChild.parentWaits(since: start) {
            let changes = entryNames.map { name -> RegistryChange in
                let entry = testEntry(
                    "crash:\(name)\(tag % groups)", data: .map([("tag", .int(Int64(tag))), ("shapes", everyShape)]),
                    meta: [("tag", .int(Int64(tag)))])
                return registry.entry(entry.id) == nil ? .create(entry) : .update(entry)
            }
            let saved = try registry.apply(changes)
            guard saved == tag else { fatalError("expected v\(tag), got \(saved.map(String.init) ?? "nil")") }
            // unbuffered, so the parent sees it before the next save starts
            FileHandle.standardOutput.write(Data("saved \(tag)\n".utf8))
            tag += 1
        }
    }
}
