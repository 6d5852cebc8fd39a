import Foundation
import Logging
import NIOCore
import PostgresNIO
public import WippyCore
import Synchronization
public import WippyStore
import Dispatch

/// ``SQLStoreConnection`` on PostgreSQL through postgres-nio's pooled client. Each call waits on the calling
/// thread (the blocking pool's) for the round trip.
public final class PostgresStoreConnection: SQLStoreConnection {
    public let dialect = SQLStoreDialect.postgres
    private let client: PostgresClient
    private let runner: Mutex<Task<Void, Never>?>
    private let name: String
    private let settings: PostgresConnectionSettings
    /// How long a statement may wait (for a connection and the answer) before it fails with `Timeout`: the
    /// pool retries a server that went away for ever.
    public let timeout: Duration

    /// - Parameters:
    ///   - settings: where the database is and the pool size.
    ///   - name: how errors name the database.
    public init(settings: PostgresConnectionSettings, name: String, timeout: Duration = .seconds(30)) throws(WippyError) {
        var logger = Logger(label: "wippy.store.sql")
        logger.logLevel = .error
        let client = PostgresClient(configuration: try settings.clientConfiguration(), backgroundLogger: logger)
        self.client = client
        self.name = name
        self.settings = settings
        self.timeout = timeout
        runner = Mutex(Task { await client.run() })
    }

    /// Checks with one connection of its own that the server answers and lets us in, so a wrong password or
    /// an unreachable server fails the start of the store (with the reason) instead of the first use.
    public func check() throws(WippyError) {
        _ = try settings.connectionConfiguration()
        let name = name, settings = settings
        try waitForCompletion { (done: @escaping @Sendable (Result<Void, WippyError>) -> Void) in
            Task {
                do {
                    var logger = Logger(label: "wippy.store.sql")
                    logger.logLevel = .error
                    let configuration = try settings.connectionConfiguration()
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                    try? await connection.close()
                    done(.success(()))
                } catch let error as PSQLError {
                    done(.failure(WippyError.unavailable("connect \(name): \(Self.describe(error))")))
                } catch {
                    done(.failure(WippyError.unavailable("connect \(name): \(error)")))
                }
            }
        }.get()
    }

    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
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
        let client = client, name = name, timeout = timeout
        return try waitForCompletion { (finish: @escaping @Sendable (Result<[[SQLStoreValue]], WippyError>) -> Void) in
            let once = Atomic<Bool>(false)
            let done: @Sendable (Result<[[SQLStoreValue]], WippyError>) -> Void = { result in
                if !once.exchange(true, ordering: .acquiringAndReleasing) { finish(result) }
            }
            let task = Task {
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
                    done(.failure(WippyError.internal("query \(name): \(Self.describe(error))")))
                } catch {
                    done(.failure(WippyError.internal("query \(name): \(String(reflecting: error))")))
                }
            }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                task.cancel()
                done(.failure(WippyError.timeout("query \(name): no answer within \(timeout)")))
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
