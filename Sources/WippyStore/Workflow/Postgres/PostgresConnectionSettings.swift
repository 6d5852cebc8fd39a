public import WippyCore
import Foundation
import NIOSSL
public import PostgresNIO

/// Where a PostgreSQL database is and how to log in: the fields of a `db.sql.postgres` entry (`host`, `port`,
/// `database`, `username`, `password`, `options`, `pool.max_open`), resolved (no `${env:...}` left).
///
/// `options` are the entry's DSN parameters. `sslmode` (`disable`, `allow`, `prefer`, `require`,
/// `verify-ca`, `verify-full`; default `prefer`), `sslrootcert` (a PEM file, for the `verify-*` modes) and
/// `connect_timeout` (seconds) set up the connection; every other option is sent to the server as a run-time
/// parameter at login (`search_path`, `application_name`, `statement_timeout`, ...).
public struct PostgresConnectionSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var database: String
    public var username: String
    public var password: String?
    public var options: [String: String]
    /// The most connections the store's pool opens (`pool.max_open`; 0 takes the default, 16).
    public var maxConnections: Int

    public init(
        host: String = "localhost", port: Int = 5432, database: String, username: String, password: String? = nil,
        options: [String: String] = [:], maxConnections: Int = 0
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.options = options
        self.maxConnections = maxConnections
    }

    /// Settings from a URL `postgres://user[:password]@host[:port]/database[?option=value&...]` (what the
    /// tests get in `WIPPY_TEST_POSTGRES_URL`).
    ///
    /// - Throws: `Invalid` naming what is missing.
    public init(url text: String) throws(WippyError) {
        guard let url = URLComponents(string: text), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw WippyError.invalid("'\(text)' is not a postgres:// URL")
        }
        guard let user = url.user, !user.isEmpty else { throw WippyError.invalid("'\(text)': no user name") }
        let database = String(url.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw WippyError.invalid("'\(text)': no database name") }
        var options: [String: String] = [:]
        for item in url.queryItems ?? [] { options[item.name] = item.value ?? "" }
        self.init(
            host: url.host ?? "localhost", port: url.port ?? 5432, database: database, username: user, password: url.password,
            options: options)
    }

    /// `postgres://user@host:port/database` (no password), as errors name the database.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }

    /// The postgres-nio client configuration.
    ///
    /// - Throws: `Invalid` for an unknown `sslmode`, an unreadable `sslrootcert`, or a bad `connect_timeout`.
    public func clientConfiguration() throws(WippyError) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try tls())
        configuration.options.maximumConnections = maxConnections > 0 ? maxConnections : 16
        if let timeout = options["connect_timeout"] {
            guard let seconds = Int(timeout), seconds >= 0 else {
                throw WippyError.invalid("\(description): connect_timeout '\(timeout)' is not a number of seconds")
            }
            if seconds > 0 { configuration.options.connectTimeout = .seconds(seconds) }
        }
        // Acknowledged means durable: the server's default, made explicit so a cluster-wide setting cannot
        // weaken it (an entry's own `synchronous_commit` option still wins, on purpose).
        var parameters: [(String, String)] = [("synchronous_commit", "on")]
        for (name, value) in options.sorted(by: { $0.key < $1.key })
        where !["sslmode", "sslrootcert", "connect_timeout"].contains(name) {
            parameters.removeAll { $0.0 == name }
            parameters.append((name, value))
        }
        configuration.options.additionalStartupParameters = parameters
        return configuration
    }

    /// The connection configuration of a single connection (schema set-up), with the same parameters.
    public func connectionConfiguration() throws(WippyError) -> PostgresConnection.Configuration {
        let client = try clientConfiguration()
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS())
        configuration.options.connectTimeout = TimeAmount.nanoseconds(
            Int64(client.options.connectTimeout.components.seconds) * 1_000_000_000)
        configuration.options.additionalStartupParameters = client.options.additionalStartupParameters
        return configuration
    }

    private func tlsConfiguration() throws(WippyError) -> (mode: String, TLSConfiguration) {
        let mode = options["sslmode"] ?? "prefer"
        var tls = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case "disable", "allow", "prefer", "require":
            // As libpq: these modes encrypt when they can but do not check the server's certificate.
            tls.certificateVerification = .none
        case "verify-ca", "verify-full":
            tls.certificateVerification = mode == "verify-ca" ? .noHostnameVerification : .fullVerification
            if let file = options["sslrootcert"] {
                guard FileManager.default.isReadableFile(atPath: file) else {
                    throw WippyError.invalid("\(description): sslrootcert '\(file)' cannot be read")
                }
                tls.trustRoots = .file(file)
            }
        default:
            throw WippyError.invalid(
                "\(description): unknown sslmode '\(mode)' (disable, allow, prefer, require, verify-ca or verify-full)")
        }
        return (mode, tls)
    }

    private func tls() throws(WippyError) -> PostgresClient.Configuration.TLS {
        let (mode, tls) = try tlsConfiguration()
        switch mode {
        case "disable": return .disable
        case "allow", "prefer": return .prefer(tls)
        default: return .require(tls)
        }
    }

    private func connectionTLS() throws(WippyError) -> PostgresConnection.Configuration.TLS {
        let (mode, tls) = try tlsConfiguration()
        do {
            switch mode {
            case "disable": return .disable
            case "allow", "prefer": return .prefer(try NIOSSLContext(configuration: tls))
            default: return .require(try NIOSSLContext(configuration: tls))
            }
        } catch {
            throw WippyError.invalid("\(description): cannot set up TLS: \(error)")
        }
    }
}
