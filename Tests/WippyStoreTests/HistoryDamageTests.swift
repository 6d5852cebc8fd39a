import Foundation
import Testing
import WippyCore
@testable import WippyStore

#if canImport(Glibc)
import Glibc
#endif

/// A damaged registry history is refused at boot with the file, what is wrong and how to start over; it is
/// never replayed into an older state (issue 7, item 5).
@Suite struct HistoryDamageTests {
    /// A history at `path` with versions v1...v`count` in a chain, each updating `app:a` to its number.
    static func makeHistory(_ path: String, count: Int, padding: Int = 0) throws {
        let registry = Registry(history: try SQLiteRegistryHistory(path: path))
        registry.add(participant: AcceptingParticipant())
        try registry.boot(baseline: [testEntry("app:a", data: 0)])
        let filler = Payload.string(String(repeating: "x", count: padding))
        for value in 1...count {
            try registry.apply([.update(testEntry("app:a", data: .map([("n", .int(Int64(value))), ("pad", filler)])))])
        }
    }

    /// The error booting a registry on the history at `path` gives, or nil when it boots.
    static func bootError(_ path: String) -> String? {
        do {
            let registry = Registry(history: try SQLiteRegistryHistory(path: path))
            registry.add(participant: AcceptingParticipant())
            try registry.boot(baseline: [testEntry("app:a", data: 0)])
            return nil
        } catch {
            return error.message
        }
    }

    func expectRefused(_ path: String, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let message = HistoryDamageTests.bootError(path)
        #expect(message?.contains(path) == true, "\(message ?? "booted")", sourceLocation: sourceLocation)
        #expect(message?.contains(problem) == true, "\(message ?? "booted")", sourceLocation: sourceLocation)
        #expect(message?.contains("wippy registry reset") == true, "\(message ?? "booted")", sourceLocation: sourceLocation)
    }

    @Test func anEmptyFileIsReportedNotTakenForANewHistory() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        expectRefused(path, "the file is empty (0 bytes)")
        // nothing was written into it
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 0)
    }

    @Test func aTruncatedFileIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        try HistoryDamageTests.makeHistory(path, count: 40, padding: 2000)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 40_000)
        #expect(truncate(path, off_t(size / 2)) == 0)
        expectRefused(path, "the file is truncated")
    }

    @Test func aMissingVersionRowIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        try HistoryDamageTests.makeHistory(path, count: 3)
        try SQLiteRegistryHistory.tamper(path: path, sql: "DELETE FROM versions WHERE id = 2")
        expectRefused(path, "the version row of v2 is missing")
        // and without its changeset either: v3's parent is gone
        try SQLiteRegistryHistory.tamper(path: path, sql: "DELETE FROM changesets WHERE version_id = 2")
        expectRefused(path, "the parent v2 of v3 is missing")
    }

    @Test func aParentCycleIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        try HistoryDamageTests.makeHistory(path, count: 3)
        try SQLiteRegistryHistory.tamper(path: path, sql: "UPDATE versions SET parent_id = 3 WHERE id = 1")
        expectRefused(path, "the parent links form a cycle")
    }

    @Test func aHeadThatPointsNowhereIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        try HistoryDamageTests.makeHistory(path, count: 2)
        try SQLiteRegistryHistory.tamper(path: path, sql: "UPDATE metadata SET value = '7' WHERE key = 'head'")
        expectRefused(path, "the head v7 is not a saved version")
    }

    @Test func aSecondWriterGetsAConflictNotAConstraintError() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        let first = Registry(history: try SQLiteRegistryHistory(path: path))
        let second = Registry(history: try SQLiteRegistryHistory(path: path))
        for registry in [first, second] {
            registry.add(participant: AcceptingParticipant())
            try registry.boot(baseline: [])
        }
        try first.apply([.create(testEntry("app:one"))])
        #expect {
            try second.apply([.create(testEntry("app:two"))])
        } throws: { error in
            let message = (error as? WippyError)?.message ?? ""
            return (error as? WippyError)?.kind == .conflict && message.contains("another wippy process changed the history")
                && !message.contains("constraint")
        }
        let (versions, head) = try SQLiteRegistryHistory(path: path).load()
        #expect(versions.map(\.id) == [1])
        #expect(head == 1)
    }
}
