import Foundation
import GRDB
@testable import WippyStore
import WippyCore
import WippyTestSupport

/// A throwaway directory, removed when the test process exits (``TemporaryPaths``): not on release, which
/// can come before an `await` that still uses the path.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = try TemporaryPaths.directory("wippy-store-")
    }

    func write(_ relative: String, _ text: String) throws {
        let url = URL(fileURLWithPath: path + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

func testEntry(_ id: String, _ kind: String = "test.kind", data: Payload = .null, meta: [(String, Payload)] = []) -> Entry {
    var table = PayloadTable()
    for (key, value) in meta { table[key] = value }
    return Entry(id: EntryID(parsing: id), kind: kind, meta: table, data: data)
}

/// A payload with every shape in it, for storage round trips.
let everyShape: Payload = .map([
    ("null", .null), ("bool", true), ("int", .int(-42)), ("big", .int(.max)), ("double", 2.0), ("negzero", .double(-0.0)),
    ("string", "héllo"), ("bytes", .bytes([0, 0xff])), ("array", .array([1, "two", .array([])])),
    ("object", .table(PayloadTable(isObject: true))),
    ("mixed", .table(PayloadTable(array: [1], fields: [PayloadField(key: .int(7), value: .double(7))]))),
    ("ref", .array([.map([("x", 1)]), .reference(1)])),
    ("error", .error(WippyError("boom", kind: .conflict, retryable: true, details: .map([("k", "v")]), context: ["here"]))),
])

extension SQLiteRegistryHistory {
    /// Creates a history database at `path` if needed, then changes it behind the history's back.
    static func tamper(path: String, sql: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = try SQLiteRegistryHistory(path: path) }
        // Foreign keys off: tampering is about making what the schema would refuse.
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { db in try db.execute(sql: sql) }
    }
}

/// The handler of `test.kind` entries: accepts every change.
final class AcceptingParticipant: RegistryParticipant {
    func handles(kind: String) -> Bool { kind == "test.kind" }
    func prepare(_ change: RegistryChange, in transaction: RegistryTransaction) throws(WippyError) {}
    func commit(_ transaction: RegistryTransaction) {}
}
