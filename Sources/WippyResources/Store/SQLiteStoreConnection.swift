import Foundation
import GRDB
public import WippyCore

/// ``SQLStoreConnection`` on a SQLite file through GRDB: a WAL pool (one writer, concurrent readers) for a
/// file, a private in-memory database for `:memory:`.
public final class SQLiteStoreConnection: SQLStoreConnection {
    public let dialect = SQLStoreDialect.sqlite
    private let writer: any DatabaseWriter

    /// - Parameter path: the database file; nil for a private in-memory database.
    public init(path: String?) throws(WippyError) {
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            if let path {
                writer = try DatabasePool(path: path, configuration: configuration)
            } else {
                writer = try DatabaseQueue(configuration: configuration)
            }
        } catch {
            throw WippyError.unavailable("open \(path ?? ":memory:"): \(Self.message(error))")
        }
    }

    public func rows(_ sql: String, _ arguments: [SQLStoreValue], write: Bool) throws(WippyError) -> [[SQLStoreValue]] {
        let values: [(any DatabaseValueConvertible)?] = arguments.map { value in
            switch value {
            case .null: nil
            case .text(let text): text
            case .bytes(let bytes): Data(bytes)
            case .integer(let number): number
            }
        }
        let body = { (db: Database) throws -> [[SQLStoreValue]] in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(values)).map { row in
                row.databaseValues.map { value -> SQLStoreValue in
                    switch value.storage {
                    case .null: .null
                    case .int64(let number): .integer(number)
                    case .double(let number): .text(String(number))
                    case .string(let text): .text(text)
                    case .blob(let data): .bytes([UInt8](data))
                    }
                }
            }
        }
        do {
            return write ? try writer.write(body) : try writer.read(body)
        } catch {
            throw WippyError.internal("query: \(Self.message(error))")
        }
    }

    public func close() {
        try? writer.close()
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error)" }
        return "\(error)"
    }
}
