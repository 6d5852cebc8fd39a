import Foundation
import GRDB
import Testing
import WippyCore
@testable import WippyStore

/// Checkpoints: a boot starts from the newest one on the head's path instead of replaying every version
/// (issue 7, item 5), and discarding recorded runtime changes (`wippy registry reset`) works on versions and
/// checkpoints alike.
@Suite struct HistoryCheckpointTests {
    /// Writes a chain of `count` versions straight into the database (what `count` applies would save, without
    /// a transaction each): version n updates `app:e<n % spread>` to n.
    static func writeChain(_ path: String, count: Int, spread: Int) throws {
        _ = try SQLiteRegistryHistory(path: path)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            var last: [Int: Int] = [:]
            let version = try db.makeStatement(sql: "INSERT INTO versions (id, parent_id, created_at) VALUES (?, ?, 0)")
            let changeset = try db.makeStatement(sql: "INSERT INTO changesets (version_id, data) VALUES (?, ?)")
            for id in 1...count {
                let slot = id % spread
                let original = testEntry("app:e\(slot)", data: .int(Int64(last[slot] ?? -1)))
                let change = RegistryChange(kind: .update, entry: testEntry("app:e\(slot)", data: .int(Int64(id))), original: original)
                last[slot] = id
                try version.execute(arguments: [id, id - 1])
                try changeset.execute(arguments: [id, Data(try RegistryChange.archive([change]))])
            }
            try db.execute(sql: "UPDATE metadata SET value = ? WHERE key = 'head'", arguments: [String(count)])
        }
    }

    static func baseline(spread: Int) -> [Entry] { (0..<spread).map { testEntry("app:e\($0)", data: -1) } }

    static func boot(_ path: String, spread: Int, interval: Int = 512) throws -> (Registry, Registry.BootReport) {
        let registry = Registry(history: try SQLiteRegistryHistory(path: path), checkpointInterval: interval)
        registry.add(participant: AcceptingParticipant())
        let report = try registry.boot(baseline: baseline(spread: spread))
        return (registry, report)
    }

    @Test func aLongHistoryIsReplayedOnceThenBootsFromItsCheckpoint() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        // 100 000 versions boot the same way; bench/history.py measures that (the suite keeps this short).
        let count = 20_000
        try HistoryCheckpointTests.writeChain(path, count: count, spread: 50)
        // A history written without checkpoints (an older build): replayed whole once, then checkpointed.
        let (first, report) = try HistoryCheckpointTests.boot(path, spread: 50)
        #expect(report.replayed == count)
        #expect(report.checkpoint == nil)
        #expect(first.version == UInt64(count))
        #expect(first.entry(EntryID(parsing: "app:e7"))?.data == .int(Int64(count - 50 + 7)))
        #expect(first.versions.count == count)
        let (second, again) = try HistoryCheckpointTests.boot(path, spread: 50)
        #expect(again.checkpoint == UInt64(count))
        #expect(again.replayed == 0)
        #expect(second.snapshot.entries == first.snapshot.entries)
        // a past state is still there, from the changes themselves
        #expect(try second.snapshot(at: 60).entry(EntryID(parsing: "app:e10"))?.data == 60)
    }

    @Test func recordedVersionsAreCheckpointedEveryInterval() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        do {
            let (registry, _) = try HistoryCheckpointTests.boot(path, spread: 3, interval: 8)
            for value in 1...30 { try registry.apply([.update(testEntry("app:e\(value % 3)", data: .int(Int64(value))))]) }
        }
        #expect(try SQLiteRegistryHistory(path: path).index().checkpoints == [8, 16, 24])
        let (registry, report) = try HistoryCheckpointTests.boot(path, spread: 3, interval: 8)
        #expect(report.checkpoint == 24)
        #expect(report.replayed == 6)
        #expect(registry.entry(EntryID(parsing: "app:e0"))?.data == 30)
        #expect(registry.entry(EntryID(parsing: "app:e1"))?.data == 28)
    }

    @Test func aDamagedCheckpointFallsBackToTheChanges() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        do {
            let (registry, _) = try HistoryCheckpointTests.boot(path, spread: 3, interval: 4)
            for value in 1...10 { try registry.apply([.update(testEntry("app:e\(value % 3)", data: .int(Int64(value))))]) }
        }
        try SQLiteRegistryHistory.tamper(path: path, sql: "UPDATE checkpoints SET data = x'575041010203'")
        let (registry, report) = try HistoryCheckpointTests.boot(path, spread: 3, interval: 100)
        #expect(report.checkpoint == nil)
        #expect(report.replayed == 10)
        #expect(registry.entry(EntryID(parsing: "app:e1"))?.data == 10)
    }

    @Test func discardingOneEntryTakesItOutOfVersionsAndCheckpoints() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        do {
            let (registry, _) = try HistoryCheckpointTests.boot(path, spread: 3, interval: 4)
            for value in 1...10 { try registry.apply([.update(testEntry("app:e\(value % 3)", data: .int(Int64(value))))]) }
            try registry.saveCheckpoint()
        }
        let history = try SQLiteRegistryHistory(path: path)
        #expect(try history.discard(EntryID(parsing: "app:e1")) == .init(versions: 4, changes: 4))
        #expect(try history.discard(EntryID(parsing: "app:e1")) == .init(versions: 0, changes: 0))
        let (registry, report) = try HistoryCheckpointTests.boot(path, spread: 3)
        #expect(report.checkpoint == 10)
        #expect(registry.entry(EntryID(parsing: "app:e1"))?.data == -1)  // the file's value again
        #expect(registry.entry(EntryID(parsing: "app:e2"))?.data == 8)
        #expect(try registry.snapshot(at: 7).entry(EntryID(parsing: "app:e1"))?.data == -1)
        #expect(try history.discard(nil) == .init(versions: 10, changes: 6))
        let (fresh, _) = try HistoryCheckpointTests.boot(path, spread: 3)
        #expect(fresh.version == 0)
        #expect(fresh.entry(EntryID(parsing: "app:e2"))?.data == -1)
    }
}
