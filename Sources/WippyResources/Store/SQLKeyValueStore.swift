import Dispatch
public import WippyCore
public import Foundation
import WippyCodecs
import Synchronization

/// The `store.sql` backend: one row per key in a table you create (`key`, `value`, `expires_at` columns by
/// default), values as JSON bytes, expiry as a UTC timestamp (`yyyy-MM-dd HH:mm:ss.SSS` text on SQLite,
/// a `timestamptz` on PostgreSQL). No versions (always 0), no conditional put. Expired rows are invisible
/// at once; with a `cleanupInterval` they are also deleted on that period.
///
/// Operations wait on the database: call them off the Lua workers.
public final class SQLKeyValueStore: KeyValueStore {
    public static let kindName = "store.sql"

    /// Table and column names (`table_name`, `id_column_name`, `payload_column_name`, `expire_column_name`).
    public struct Layout: Sendable, Equatable {
        public var table: String
        public var keyColumn: String
        public var valueColumn: String
        public var expiresColumn: String

        public init(table: String, keyColumn: String = "key", valueColumn: String = "value", expiresColumn: String = "expires_at") {
            self.table = table
            self.keyColumn = keyColumn
            self.valueColumn = valueColumn
            self.expiresColumn = expiresColumn
        }

        /// Refuses names that are not plain identifiers (letters, digits, `_`; a table may be `schema.table`).
        public func validate() throws(WippyError) {
            for (field, name) in [("table_name", table), ("id_column_name", keyColumn), ("payload_column_name", valueColumn), ("expire_column_name", expiresColumn)] {
                let parts = name.split(separator: ".", omittingEmptySubsequences: false)
                let ok = !name.isEmpty && parts.count <= (field == "table_name" ? 2 : 1) && parts.allSatisfy { part in
                    !part.isEmpty && part.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) }
                        && !(part.utf8.first! >= 48 && part.utf8.first! <= 57)
                }
                if !ok { throw WippyError.invalid("'\(field)' must be a plain SQL identifier (got '\(name)')") }
            }
        }
    }

    public let kind = SQLKeyValueStore.kindName
    public let waits = true
    public let capabilities = StoreCapabilities(
        backend: "sql", consistency: "linearizable", durable: true, list: true, versioned: false, conditionalPut: false, ttl: true)
    public let connection: any SQLStoreConnection
    let layout: Layout
    private let now: @Sendable () -> Date
    private let sweeper = Mutex<PeriodicTimer?>(nil)
    private let table: String, key: String, value: String, expires: String

    public init(
        connection: any SQLStoreConnection, layout: Layout, cleanupInterval: Duration? = nil,
        now: (@Sendable () -> Date)? = nil
    ) throws(WippyError) {
        try layout.validate()
        self.connection = connection
        self.layout = layout
        self.now = now ?? { Date() }
        table = layout.table.split(separator: ".").map { "\"\($0)\"" }.joined(separator: ".")
        key = "\"\(layout.keyColumn)\""
        value = "\"\(layout.valueColumn)\""
        expires = "\"\(layout.expiresColumn)\""
        if let interval = cleanupInterval, interval > .zero {
            let timer = PeriodicTimer(every: interval) { [weak self] in _ = try? self?.sweep() }
            sweeper.withLock { $0 = timer }
        }
    }

    public func close() {
        sweeper.withLock { timer in
            timer?.cancel()
            timer = nil
        }
        connection.close()
    }

    private func p(_ index: Int) -> String { connection.dialect.placeholder(index) }

    private func timestamp(_ date: Date) -> SQLStoreValue {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = connection.dialect == .postgres ? "yyyy-MM-dd HH:mm:ss.SSSSSS'+00'" : "yyyy-MM-dd HH:mm:ss.SSS"
        return .text(formatter.string(from: date))
    }

    /// `expires_at` compared with a bound time: `$n::timestamptz` on PostgreSQL (bound as text).
    private func timeParameter(_ index: Int) -> String {
        connection.dialect == .postgres ? "\(p(index))::timestamptz" : p(index)
    }

    private func liveCondition(_ index: Int) -> String { "(\(expires) IS NULL OR \(expires) > \(timeParameter(index)))" }

    private static func encode(_ payload: Payload) throws(WippyError) -> SQLStoreValue {
        .bytes(try JSONCodec.encode(payload))
    }

    private static func decode(_ stored: SQLStoreValue) throws(WippyError) -> Payload {
        switch stored {
        case .bytes(let bytes): try JSONCodec.decode(bytes)
        case .text(let text): try JSONCodec.decode(text)
        case .integer(let number): .int(number)
        case .null: .null
        }
    }

    public func get(_ key: String) throws(WippyError) -> Payload { try entry(key).value }

    public func set(_ key: String, _ value: Payload, ttl: Double?) throws(WippyError) {
        let normalized = StoreKey.normalize(key)
        var expiry = SQLStoreValue.null
        if let ttl, ttl > 0 { expiry = timestamp(now().addingTimeInterval(ttl)) }
        let sql = "INSERT INTO \(table) (\(self.key), \(self.value), \(expires)) VALUES (\(p(1)), \(p(2)), \(timeParameter(3))) "
            + "ON CONFLICT (\(self.key)) DO UPDATE SET \(self.value) = excluded.\(self.value), \(expires) = excluded.\(expires)"
        _ = try connection.rows(sql, [.text(normalized), try Self.encode(value), expiry], write: true)
    }

    public func delete(_ key: String) throws(WippyError) -> Bool {
        let sql = "DELETE FROM \(table) WHERE \(self.key) = \(p(1)) RETURNING CASE WHEN \(liveCondition(2)) THEN 1 ELSE 0 END"
        let rows = try connection.rows(sql, [.text(StoreKey.normalize(key)), timestamp(now())], write: true)
        return rows.contains { $0.first == .integer(1) }
    }

    public func has(_ key: String) throws(WippyError) -> Bool {
        let sql = "SELECT 1 FROM \(table) WHERE \(self.key) = \(p(1)) AND \(liveCondition(2))"
        return !(try connection.rows(sql, [.text(StoreKey.normalize(key)), timestamp(now())], write: false)).isEmpty
    }

    public func entry(_ key: String) throws(WippyError) -> StoreEntry {
        let normalized = StoreKey.normalize(key)
        let sql = "SELECT \(value) FROM \(table) WHERE \(self.key) = \(p(1)) AND \(liveCondition(2))"
        guard let row = try connection.rows(sql, [.text(normalized), timestamp(now())], write: false).first, let stored = row.first else {
            throw WippyError.notFound("key not found: \(normalized)")
        }
        return StoreEntry(key: normalized, value: try Self.decode(stored), version: 0)
    }

    public func put(_ key: String, _ value: Payload, options: StorePutOptions) throws(WippyError) -> StoreEntry {
        if options.onlyIfAbsent || options.ifVersion != nil {
            throw WippyError.invalid("conditional put is not supported by the sql store")
        }
        try set(key, value, ttl: options.ttl)
        return StoreEntry(key: StoreKey.normalize(key), value: value, version: 0)
    }

    public func list(prefix: String, after: String, limit: Int) throws(WippyError) -> StorePage {
        var sql = "SELECT \(key), \(value) FROM \(table) WHERE \(key) > \(p(1)) AND \(liveCondition(2))"
        var arguments: [SQLStoreValue] = [.text(after), timestamp(now())]
        if !prefix.isEmpty {
            let raw = prefix, normalized = StoreKey.normalize(prefix)
            sql += " AND (substr(\(key), 1, CAST(\(p(3)) AS INTEGER)) = \(p(4)) OR substr(\(key), 1, CAST(\(p(5)) AS INTEGER)) = \(p(6)))"
            arguments += [
                .integer(Int64(raw.unicodeScalars.count)), .text(raw), .integer(Int64(normalized.unicodeScalars.count)), .text(normalized),
            ]
        }
        sql += " ORDER BY \(key)"
        if limit > 0 { sql += " LIMIT \(limit + 1)" }
        var items: [StoreEntry] = []
        for row in try connection.rows(sql, arguments, write: false) {
            guard row.count == 2, case .text(let name) = row[0] else { continue }
            items.append(StoreEntry(key: name, value: try Self.decode(row[1]), version: 0))
        }
        var hasMore = false
        if limit > 0, items.count > limit {
            items.removeLast(items.count - limit)
            hasMore = true
        }
        return StorePage(items: items, cursor: items.last?.key ?? "", hasMore: hasMore)
    }

    /// Deletes expired rows; returns how many.
    @discardableResult
    public func sweep() throws(WippyError) -> Int {
        let sql = "DELETE FROM \(table) WHERE \(expires) IS NOT NULL AND \(expires) <= \(timeParameter(1)) RETURNING 1"
        return try connection.rows(sql, [timestamp(now())], write: true).count
    }
}
