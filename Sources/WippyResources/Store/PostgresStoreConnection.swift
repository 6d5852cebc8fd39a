import Foundation
import Logging
import NIOCore
public import PostgresNIO
public import WippyCore
import Synchronization

/// ``SQLStoreConnection`` on PostgreSQL through postgres-nio's pooled client. Each call waits on the calling
/// thread (the blocking pool's) for the round trip.
public final class PostgresStoreConnection: SQLStoreConnection {
    public let dialect = SQLStoreDialect.postgres
    private let client: PostgresClient
    private let runner: Mutex<Task<Void, Never>?>
    private let name: String

    /// - Parameters:
    ///   - configuration: the client configuration (pool size and login).
    ///   - name: how errors name the database.
    public init(configuration: PostgresClient.Configuration, name: String) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "wippy.store.sql"))
        self.client = client
        self.name = name
        runner = Mutex(Task { await client.run() })
    }

    /// Checks that the server answers (a `SELECT 1`), so a wrong password fails the start of the store.
    public func check() throws(WippyError) {
        _ = try rows("SELECT 1", [], write: false)
    }

    public func rows(_ sql: String, _ arguments: [SQLStoreValue], write: Bool) throws(WippyError) -> [[SQLStoreValue]] {
        var binds = PostgresBindings()
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .text(let text): binds.append(text)
            case .bytes(let bytes): binds.append(ByteBuffer(bytes: bytes))
            case .integer(let number): binds.append(number)
            }
        }
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        let client = client, name = name
        return try waitForCompletion { (done: @escaping @Sendable (Result<[[SQLStoreValue]], WippyError>) -> Void) in
            Task {
                do {
                    var result: [[SQLStoreValue]] = []
                    let rows = try await client.query(query)
                    for try await row in rows {
                        var values: [SQLStoreValue] = []
                        for cell in row {
                            guard var bytes = cell.bytes else {
                                values.append(.null)
                                continue
                            }
                            switch cell.dataType {
                            case .bytea: values.append(.bytes(bytes.readBytes(length: bytes.readableBytes) ?? []))
                            case .int2, .int4, .int8: values.append(.integer(try cell.decode(Int64.self)))
                            default: values.append(.text(try cell.decode(String.self)))
                            }
                        }
                        result.append(values)
                    }
                    done(.success(result))
                } catch let error as PSQLError {
                    let message = error.serverInfo?[.message] ?? "\(error.code)"
                    done(.failure(WippyError.internal("query \(name): \(message)")))
                } catch {
                    done(.failure(WippyError.internal("query \(name): \(String(reflecting: error))")))
                }
            }
        }.get()
    }

    public func close() {
        runner.withLock { task in
            task?.cancel()
            task = nil
        }
    }
}
