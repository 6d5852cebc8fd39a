import Foundation
import Testing
import WippyCore
@testable import WippyStore

@Suite struct SQLiteRegistryHistoryTests {
    @Test func createsTheDefaultFileAndItsDirectory() throws {
        let dir = try TemporaryDirectory()
        let path = SQLiteRegistryHistory.defaultPath(projectRoot: dir.path)
        #expect(path == dir.path + "/.wippy/registry.db")
        let history = try SQLiteRegistryHistory(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        let (versions, head) = try history.load()
        #expect(versions.isEmpty)
        #expect(head == 0)
        #expect(SQLiteRegistryHistory.defaultPath(projectRoot: "") == "./.wippy/registry.db")
    }

    @Test func versionsWithEveryPayloadShapeSurviveAReopen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/history.db"
        var entry = testEntry("app:one", data: everyShape, meta: [("tags", .array(["x"])), ("n", 1.5)])
        entry.origin = EntryOrigin(file: "src/_index.yaml", line: 3, inlinedFiles: ["source": "src/a.lua"])
        let v1 = RegistryVersion(id: 1, parent: 0, changes: [.create(entry)], createdAt: 1_700_000_000)
        var updated = entry
        updated.data = .map([("n", .int(2))])
        let v2 = RegistryVersion(
            id: 2, parent: 1,
            changes: [
                RegistryChange(kind: .update, entry: updated, original: entry),
                RegistryChange(kind: .delete, entry: testEntry("app:gone"), original: testEntry("app:gone", data: "old")),
            ],
            createdAt: 1_700_000_001)
        do {
            let history = try SQLiteRegistryHistory(path: path)
            try history.save(v1)
            #expect(try history.load().head == 1)
            try history.save(v2)
            #expect(try history.load().head == 2)
        }
        let reopened = try SQLiteRegistryHistory(path: path)
        let (versions, head) = try reopened.load()
        #expect(head == 2)
        #expect(versions == [v1, v2])
        #expect(versions.first?.changes.first?.entry.origin == entry.origin)
        #expect(versions.last?.changes.first?.original?.origin == entry.origin)
    }

    @Test func setHeadMovesBothWaysAndPersists() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/history.db"
        let history = try SQLiteRegistryHistory(path: path)
        for id in UInt64(1)...3 {
            try history.save(RegistryVersion(id: id, parent: id - 1, changes: [.create(testEntry("app:e\(id)"))], createdAt: 0))
        }
        try history.setHead(1)
        #expect(try history.load().head == 1)
        #expect(try SQLiteRegistryHistory(path: path).load().head == 1)
        try history.setHead(3)
        #expect(try history.load().head == 3)
        try history.setHead(0)
        #expect(try history.load().head == 0)
        #expect(try history.load().versions.count == 3)
        #expect {
            try history.setHead(9)
        } throws: { error in
            let error = error as? WippyError
            return error?.kind == .notFound && error?.message.contains(path) == true
        }
        #expect(try history.load().head == 0)
    }

    @Test func aVersionNumberIsSavedOnlyOnce() throws {
        let dir = try TemporaryDirectory()
        let history = try SQLiteRegistryHistory(path: dir.path + "/history.db")
        let version = RegistryVersion(id: 1, parent: 0, changes: [.create(testEntry("app:a"))], createdAt: 0)
        try history.save(version)
        try history.setHead(0)
        #expect(throws: WippyError.self) { try history.save(version) }
        // the failed save changed nothing, the head included
        let (versions, head) = try history.load()
        #expect(versions == [version])
        #expect(head == 0)
    }

    @Test func usesWALAndFullSync() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/history.db"
        let history = try SQLiteRegistryHistory(path: path)
        try history.save(RegistryVersion(id: 1, parent: 0, changes: [.create(testEntry("app:a"))], createdAt: 0))
        #expect(try history.pragma("journal_mode") == "wal")
        #expect(try history.pragma("synchronous") == "2")  // FULL
    }

    @Test func aFileThatIsNotADatabaseIsNamed() throws {
        let dir = try TemporaryDirectory()
        try dir.write("bad.db", String(repeating: "this is not sqlite\n", count: 300))
        let path = dir.path + "/bad.db"
        #expect {
            _ = try SQLiteRegistryHistory(path: path)
        } throws: { error in
            let error = error as? WippyError
            return error?.kind == .invalid && error?.message.hasPrefix("registry history \(path) is damaged: ") == true
                && error?.message.contains("wippy registry reset") == true
        }
    }

    @Test func anUnknownSchemaVersionIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/history.db"
        try SQLiteRegistryHistory.tamper(path: path, sql: "UPDATE metadata SET value = '99' WHERE key = 'schema_version'")
        #expect {
            _ = try SQLiteRegistryHistory(path: path)
        } throws: { error in
            (error as? WippyError)?.message
                == "registry history \(path): schema version 99 is not supported (this build reads version 1)"
        }
    }

    @Test func aForeignDatabaseIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/history.db"
        try SQLiteRegistryHistory.tamper(path: path, sql: "DELETE FROM metadata")
        #expect {
            _ = try SQLiteRegistryHistory(path: path)
        } throws: { error in
            (error as? WippyError)?.message.contains("not a registry history database") == true
        }
    }

    @Test func aDamagedChangesetIsReportedWithItsVersion() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/history.db"
        do {
            let history = try SQLiteRegistryHistory(path: path)
            try history.save(RegistryVersion(id: 1, parent: 0, changes: [.create(testEntry("app:a", data: everyShape))], createdAt: 0))
        }
        try SQLiteRegistryHistory.tamper(path: path, sql: "UPDATE changesets SET data = substr(data, 1, 20) WHERE version_id = 1")
        let history = try SQLiteRegistryHistory(path: path)
        #expect {
            _ = try history.load()
        } throws: { error in
            let message = (error as? WippyError)?.message ?? ""
            return message.hasPrefix("registry history \(path) is damaged: the changeset of version v1 is damaged: payload archive: ")
        }
    }

    @Test func aHeadWithoutItsVersionIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/history.db"
        try SQLiteRegistryHistory.tamper(path: path, sql: "UPDATE metadata SET value = '5' WHERE key = 'head'")
        let history = try SQLiteRegistryHistory(path: path)
        #expect {
            _ = try history.load()
        } throws: { error in
            (error as? WippyError)?.message.hasPrefix("registry history \(path) is damaged: the head v5 is not a saved version; it is not replayed.") == true
        }
    }
}
