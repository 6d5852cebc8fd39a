import Foundation
import GRDB
import Testing
import WippyCore
@testable import WippyStore

/// A damaged journal is reported with the workflow and the sequence number, never loaded shorter or changed;
/// a file that is not a workflow store is refused at open (issue 8, item 5; issue 8, item 8d).
@Suite struct WorkflowJournalDamageTests {
    /// A store at `path` with workflow `victim` (events 1...10) and `bystander` (events 1...4), closed.
    static func makeStore(_ path: String) async throws {
        let store = try SQLiteWorkflowStore(path: path)
        try await store.write(.start(workflowRecord("victim"), events: journalEvents(1, 10)))
        try await store.write(.start(workflowRecord("bystander"), events: journalEvents(1, 4)))
        store.close()
    }

    /// Changes the file behind the store's back, then loads `victim`; returns the error message.
    static func loadAfter(_ sql: String, arguments: StatementArguments = []) async throws -> String? {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        try await makeStore(path)
        try rawExecute(path, sql, arguments: arguments)
        let store = try SQLiteWorkflowStore(path: path)
        defer { store.close() }
        // The other run is untouched and still loads.
        #expect(try await store.load(workflowRecord("bystander").run)?.events == journalEvents(1, 4))
        do {
            let run = try await store.load(workflowRecord("victim").run)
            Issue.record("the damaged journal loaded: \(run?.events.count ?? -1) events")
            return nil
        } catch {
            #expect(error.kind == .invalid)
            return error.message
        }
    }

    static let victimRun = "(SELECT id FROM workflow_runs WHERE workflow_id = 'victim')"

    func expectDamage(_ message: String?, seq: UInt64, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(message?.contains("workflow victim (run r1) is damaged at seq \(seq)") == true, "\(message ?? "")", sourceLocation: sourceLocation)
        #expect(message?.contains(problem) == true, "\(message ?? "")", sourceLocation: sourceLocation)
        #expect(message?.contains("it is not replayed") == true, "\(message ?? "")", sourceLocation: sourceLocation)
    }

    /// The checksum's input layout is part of the file format: stores written before must still verify. The
    /// expected values were computed outside Swift (Python): the CRC-64/XZ of the length-prefixed fields (what
    /// is written now), and the first 8 bytes of their SHA-256 (hashlib; what stores written before hold).
    @Test func theChecksumOfAKnownEventIsStable() {
        let run = WorkflowRunID(workflowID: "order-7", runID: "run-1")
        let payload: [UInt8] = [1, 2, 3, 250, 0]
        let checksum = JournalChecksum.of(run, seq: 42, kind: "call_result", key: "app:charge", payload: payload)
        #expect(checksum == 2_402_235_700_899_674_270)
        let legacy = JournalChecksum.legacy(run, seq: 42, kind: "call_result", key: "app:charge", payload: payload)
        #expect(legacy == 5_796_288_137_011_233_138)
        // Both verify; a checksum of another event does not.
        #expect(JournalChecksum.matches(checksum, run, seq: 42, kind: "call_result", key: "app:charge", payload: payload))
        #expect(JournalChecksum.matches(legacy, run, seq: 42, kind: "call_result", key: "app:charge", payload: payload))
        #expect(!JournalChecksum.matches(checksum, run, seq: 43, kind: "call_result", key: "app:charge", payload: payload))
        #expect(JournalChecksum.of(run, seq: 43, kind: "call_result", key: "app:charge", payload: payload) != checksum)
        #expect(JournalChecksum.of(run, seq: 1, kind: "", key: "", payload: [] as [UInt8]) != 0)
    }

    /// CRC-64/XZ's published check value, and the eight-bytes-at-a-time path against the byte path: every
    /// length from 0 to 40 of the same bytes, each byte changed in turn, gives a new value.
    @Test func crc64MatchesItsCheckValueAndCatchesEveryChangedByte() {
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC64.checksum($0) } == 0x995D_C9BB_DF19_39FA)
        let bytes = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        var seen = Set<UInt64>()
        for length in 0...bytes.count {
            let base = Array(bytes.prefix(length))
            let crc = base.withUnsafeBytes { CRC64.checksum($0) }
            #expect(seen.insert(crc).inserted, "length \(length)")
            for index in 0..<length {
                var changed = base
                changed[index] ^= 0x10
                #expect(changed.withUnsafeBytes { CRC64.checksum($0) } != crc, "length \(length), byte \(index)")
            }
        }
    }

    @Test func aFlippedPayloadByteIsReported() async throws {
        // 'payload 5' becomes 'pbyload 5': same length, one byte changed.
        let message = try await WorkflowJournalDamageTests.loadAfter(
            "UPDATE workflow_journal SET payload = CAST('pbyload 5' AS BLOB) WHERE run = \(Self.victimRun) AND seq = 5")
        expectDamage(message, seq: 5, "does not match its checksum")
    }

    @Test func aChangedChecksumKindOrKeyIsReported() async throws {
        expectDamage(
            try await WorkflowJournalDamageTests.loadAfter(
                "UPDATE workflow_journal SET checksum = (checksum | 1) - (checksum & 1) WHERE run = \(Self.victimRun) AND seq = 7"),
            seq: 7, "does not match its checksum")
        expectDamage(
            try await WorkflowJournalDamageTests.loadAfter(
                "UPDATE workflow_journal SET kind = 'timer' WHERE run = \(Self.victimRun) AND seq = 2"),
            seq: 2, "does not match its checksum")
        // An event of another run moved into this one (its key and payload intact) does not pass either.
        expectDamage(
            try await WorkflowJournalDamageTests.loadAfter(
                """
                DELETE FROM workflow_journal WHERE run = \(Self.victimRun) AND seq = 3;
                INSERT INTO workflow_journal (run, seq, kind, key, payload, checksum) SELECT \(Self.victimRun), seq, kind, key, payload, checksum FROM workflow_journal
                WHERE run = (SELECT id FROM workflow_runs WHERE workflow_id = 'bystander') AND seq = 3;
                """),
            seq: 3, "does not match its checksum")
    }

    @Test func aMissingMiddleEventIsReported() async throws {
        expectDamage(
            try await WorkflowJournalDamageTests.loadAfter(
                "DELETE FROM workflow_journal WHERE run = \(Self.victimRun) AND seq = 6"),
            seq: 6, "event 6 is missing")
        expectDamage(
            try await WorkflowJournalDamageTests.loadAfter(
                "DELETE FROM workflow_journal WHERE run = \(Self.victimRun) AND seq BETWEEN 2 AND 4"),
            seq: 2, "event 2 to 4 are missing")
    }

    @Test func aJournalCutShortAtItsEndIsReported() async throws {
        expectDamage(
            try await WorkflowJournalDamageTests.loadAfter(
                "DELETE FROM workflow_journal WHERE run = \(Self.victimRun) AND seq >= 9"),
            seq: 9, "the journal ends early: events 9 to 10 are missing")
        expectDamage(
            try await WorkflowJournalDamageTests.loadAfter("DELETE FROM workflow_journal WHERE run = \(Self.victimRun)"),
            seq: 1, "events 1 to 10 are missing")
    }

    @Test func anEmptyFileIsReportedAtOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let message = openError(path)
        #expect(message?.contains(path) == true, "\(message ?? "opened")")
        #expect(message?.contains("the file is empty (0 bytes)") == true, "\(message ?? "opened")")
        // Nothing was written into it.
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == 0)
    }

    @Test func aFileThatIsNotADatabaseIsReportedAtOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        #expect(FileManager.default.createFile(atPath: path, contents: garbage))
        let message = openError(path)
        #expect(message?.contains("workflow store \(path) is damaged") == true, "\(message ?? "opened")")
        #expect(message?.contains("not a database") == true, "\(message ?? "opened")")
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data == garbage)
    }

    @Test func anotherKindOfDatabaseIsRefusedAtOpen() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/registry.db"
        _ = try SQLiteRegistryHistory(path: path)
        let message = openError(path)
        #expect(message?.contains("not a workflow store database") == true, "\(message ?? "opened")")
    }

    @Test func aTruncatedFileIsReportedAtOpen() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/workflows.db"
        let store = try SQLiteWorkflowStore(path: path)
        try await store.write(.start(workflowRecord("big"), events: (1...200).map {
            JournalEvent(seq: $0, kind: "call", payload: Array(repeating: UInt8($0 % 251), count: 1000))
        }))
        store.close()
        // Move the write-ahead log into the file, so its size is the database's.
        try rawExecute(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size > 100_000)
        #expect(truncate(path, off_t(size / 2)) == 0)
        let message = openError(path)
        #expect(message?.contains("the file is truncated") == true, "\(message ?? "opened")")
    }
}
