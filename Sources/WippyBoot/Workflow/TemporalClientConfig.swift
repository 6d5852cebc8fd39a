public import WippyCore
public import WippyResources

/// A Wippy `temporal.client` entry, as the embedded engine reads it: no connection is made (there is no
/// Temporal server), but the settings are checked as Wippy checks them, so an app written for Temporal
/// keeps its files. The entry ID is the node part of the PIDs of the workflows its workers run.
///
/// Credentials (`auth.*`, `tls.*`) are type-checked but not read: their `${env:...}` placeholders are not
/// resolved, so an app does not need a Temporal API key to run on the embedded engine.
public struct TemporalClientConfig: Sendable, Equatable {
    public static let kind = "temporal.client"

    public var id: EntryID
    /// `address` (required, unused here).
    public var address: String
    public var namespace: String
    /// `tq_prefix`: put in front of every task queue name.
    public var taskQueuePrefix: String
    public var connectionTimeout: Duration
    public var keepAliveTime: Duration
    public var keepAliveTimeout: Duration
    /// `auth.type`: `none`, `api_key` or `mtls`.
    public var authType: String
    public var tlsEnabled: Bool
    public var healthCheckEnabled: Bool
    public var healthCheckInterval: Duration
    public var lifecycle: LifecycleConfig

    /// Decodes a `temporal.client` entry (defaults as in Wippy: namespace `default`, timeouts 10s/30s/10s,
    /// health check interval 30s).
    ///
    /// - Throws: `Invalid` naming the field: no `address`, an unknown setting, a wrong type, an unknown
    ///   `auth.type`.
    public init(entry: Entry, environment: EnvironmentLookup = .process) throws(WippyError) {
        let fields = try ConfigFields(
            entry.data, path: "",
            allowed: [
                "address", "namespace", "tq_prefix", "connection_timeout", "keep_alive_time", "keep_alive_timeout", "auth",
                "tls", "health_check", "lifecycle",
            ], environment: environment)
        guard let address = try fields.string("address"), !address.isEmpty else {
            throw fields.missing("address", "the Temporal server's host:port; the embedded engine does not use it")
        }
        id = entry.id
        self.address = address
        namespace = try fields.string("namespace") ?? "default"
        taskQueuePrefix = try fields.string("tq_prefix") ?? ""
        connectionTimeout = try fields.duration("connection_timeout") ?? .seconds(10)
        keepAliveTime = try fields.duration("keep_alive_time") ?? .seconds(30)
        keepAliveTimeout = try fields.duration("keep_alive_timeout") ?? .seconds(10)

        let auth = try ConfigFields(
            fields.value("auth"), path: "auth",
            allowed: [
                "type", "api_key", "api_key_file", "api_key_env", "cert_file", "key_file", "cert_pem", "key_pem",
                "cert_pem_env", "key_pem_env",
            ], environment: environment)
        authType = try auth.rawString("type") ?? "none"
        guard ["none", "api_key", "mtls"].contains(authType) else {
            throw auth.wrong("type", "none, api_key or mtls", .string(authType))
        }
        for key in ["api_key", "api_key_file", "api_key_env", "cert_file", "key_file", "cert_pem", "key_pem", "cert_pem_env", "key_pem_env"] {
            _ = try auth.rawString(key)
        }

        let tls = try ConfigFields(
            fields.value("tls"), path: "tls", allowed: ["enabled", "ca_file", "server_name", "insecure_skip_verify"],
            environment: environment)
        tlsEnabled = try tls.bool("enabled") ?? false
        _ = try tls.rawString("ca_file")
        _ = try tls.rawString("server_name")
        _ = try tls.bool("insecure_skip_verify")

        let health = try ConfigFields(
            fields.value("health_check"), path: "health_check", allowed: ["enabled", "interval"], environment: environment)
        healthCheckEnabled = try health.bool("enabled") ?? false
        healthCheckInterval = try health.duration("interval") ?? .seconds(30)
        lifecycle = try LifecycleConfig(payload: fields.value("lifecycle"), entry: entry.id)
    }
}

extension ConfigFields {
    /// A text setting as written, placeholders not expanded (settings the embedded engine does not use).
    func rawString(_ key: String) throws(WippyError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrong(key, "text", value) }
        return text
    }
}
