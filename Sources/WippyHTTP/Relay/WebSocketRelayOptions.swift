public import WippyCore
import WippyCodecs

/// The `websocket_relay` middleware of one router (lua-api-io §1.5): which origins may connect.
public struct WebSocketRelayOptions: Sendable, Hashable {
    /// `wsrelay.allowed.origins`, split on commas and lower-cased; empty: same origin only; `*`: any.
    public let allowedOrigins: [String]

    public init(allowedOrigins: [String]) {
        self.allowedOrigins = allowedOrigins
    }

    /// From the router's `post_options` map (`wsrelay.allowed.origins`).
    public init(options: [String: String]) {
        let list = options["wsrelay.allowed.origins"] ?? ""
        allowedOrigins = list.split(separator: ",").map { String($0).trimmingSpaces.lowercased() }.filter { !$0.isEmpty }
    }

    /// Whether a handshake with this `Origin` header may connect to a server reached as `host` (`Host`
    /// header). No `Origin` (not a browser): allowed. No list: the origin's host must be `host`. A list
    /// entry is `*`, a full origin (`https://app.example.com`), a host (`app.example.com`, with a port when
    /// one is given) or a wildcard host (`*.example.com`).
    public func allows(origin: String?, host: String?) -> Bool {
        guard let origin = origin?.trimmingSpaces.lowercased(), !origin.isEmpty else { return true }
        let originHost = Self.hostPart(of: origin)
        if allowedOrigins.isEmpty {
            guard let host = host?.trimmingSpaces.lowercased() else { return false }
            return originHost == host
        }
        for pattern in allowedOrigins {
            if pattern == "*" || pattern == origin { return true }
            if pattern.contains("://") { continue }
            if pattern.hasPrefix("*.") {
                let suffix = pattern.dropFirst(1)
                let bare = originHost.split(separator: ":").first.map(String.init) ?? originHost
                if bare.hasSuffix(suffix) || originHost.hasSuffix(suffix) { return true }
            } else if pattern == originHost || (!pattern.contains(":") && originHost.split(separator: ":").first.map(String.init) == pattern) {
                return true
            }
        }
        return false
    }

    /// `host[:port]` of `scheme://host[:port][/...]`.
    static func hostPart(of origin: String) -> String {
        var rest = Substring(origin)
        if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") { rest = rest[rest.index(colon, offsetBy: 3)...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        return String(rest)
    }
}

/// The `X-WS-Relay` header an endpoint sets (lua-api-io §1.5): the process to relay to, the topic client
/// frames are sent on, how often the process hears a heartbeat, and metadata passed on in `ws.join`.
public struct WebSocketRelayHeader: Sendable, Equatable {
    public var target: PID
    public var messageTopic: String
    /// `nil`: no heartbeats.
    public var heartbeat: Duration?
    public var metadata: Payload

    public static let name = "X-WS-Relay"
    public static let defaultHeartbeat = Duration.seconds(30)

    /// Decodes the header's JSON; the error says which field is wrong.
    public init(json: String) throws(WippyError) {
        let value: Payload
        do throws(WippyError) {
            value = try JSONCodec.decode(json)
        } catch {
            throw WippyError.invalid("X-WS-Relay is not valid JSON: \(error.message)")
        }
        guard case .table(let table) = value else { throw WippyError.invalid("X-WS-Relay must be a JSON object") }
        guard let pidText = table["target_pid"]?.stringValue, !pidText.isEmpty else {
            throw WippyError.invalid("X-WS-Relay: 'target_pid' (the PID of the process to relay to) is required")
        }
        guard let pid = PID(parsing: pidText) else { throw WippyError.invalid("X-WS-Relay: 'target_pid' \"\(pidText)\" is not a PID") }
        target = pid
        switch table["message_topic"] {
        case nil, .null?: messageTopic = "ws.message"
        case let topic?:
            guard let text = topic.stringValue, !text.isEmpty else { throw WippyError.invalid("X-WS-Relay: 'message_topic' must be a non-empty string") }
            messageTopic = text
        }
        switch table["heartbeat_interval"] {
        case nil, .null?: heartbeat = Self.defaultHeartbeat
        case let interval?:
            let nanoseconds: Int64
            if let text = interval.stringValue {
                do throws(WippyError) {
                    nanoseconds = try GoDuration.parse(text).nanoseconds
                } catch {
                    throw WippyError.invalid("X-WS-Relay: 'heartbeat_interval' \"\(text)\" is not a duration such as \"30s\"")
                }
            } else if let number = interval.doubleValue {
                // A bare number counts seconds.
                nanoseconds = Int64(number * 1_000_000_000)
            } else {
                throw WippyError.invalid("X-WS-Relay: 'heartbeat_interval' must be a duration such as \"30s\"")
            }
            heartbeat = nanoseconds > 0 ? .nanoseconds(nanoseconds) : nil
        }
        metadata = table["metadata"] ?? .null
    }
}
