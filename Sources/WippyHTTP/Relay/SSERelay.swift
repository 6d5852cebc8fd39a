public import Logging
public import WippyCore
import WippyCodecs

/// The `sse_relay` post-match middleware (lua-api-io §1.5): when the handler set `X-SSE-Relay: <json>`,
/// the response becomes a server-sent-event stream that outlives the handler, fed by a process.
///
/// The stream is a small Swift process (``SSEConnection``) with its own PID on the endpoint's process host:
/// the target process (`target_pid`) gets `sse.join` `{client_pid, metadata, path, remote_addr}`, then
/// `sse.heartbeat` `{client_pid}` every `heartbeat_interval`, and `sse.leave` `{client_pid, reason}` at the
/// end; the message's sender is the connection's PID, so `process.send(msg:from(), ...)` answers. What the
/// connection receives becomes the stream: `message_topic` (`sse.message`) → an event, `sse.control` →
/// `retry:`/comment lines or a new heartbeat interval, `sse.close` → the end. The stream also ends when the
/// client leaves, the target exits, nothing came for `idle_timeout`, or `hard_timeout` passed.
///
/// One entry point, ``start(_:header:options:node:host:bufferSize:logger:)``, called when the handler's invocation ended and
/// its router lists `sse_relay`; a general middleware chain calls it at the same point.
public enum SSERelay {
    /// The response header a handler sets to ask for a relay.
    public static let header = "X-SSE-Relay"

    /// The router's `post_options` the relay reads.
    public struct Options: Sendable, Hashable {
        /// `sserelay.allowed.origins`: comma-separated origins, `*` for any; `nil`: same origin only (a
        /// request without `Origin` is always allowed).
        public var allowedOrigins: [String]?

        public init(allowedOrigins: [String]? = nil) { self.allowedOrigins = allowedOrigins }

        /// From a router's flat `post_options` map.
        public init(postOptions: [String: String]) {
            allowedOrigins = postOptions["sserelay.allowed.origins"].map {
                $0.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty }
            }
        }
    }

    /// The relay header's JSON, decoded.
    public struct Settings: Sendable, Equatable {
        public var target: PID?
        public var messageTopic = "sse.message"
        public var heartbeat: Duration = .seconds(30)
        public var metadata: Payload = .null
        public var idleTimeout: Duration?
        public var hardTimeout: Duration?

        /// Decodes `{"target_pid", "message_topic", "heartbeat_interval", "metadata", "idle_timeout",
        /// "hard_timeout"}`; durations are Go duration strings (`"30s"`) or milliseconds.
        public init(json: String) throws(WippyError) {
            let value: Payload
            do throws(WippyError) {
                value = try JSONCodec.decode(json)
            } catch {
                throw WippyError.invalid("\(SSERelay.header): invalid JSON: \(error.message)")
            }
            guard value.tableValue != nil else { throw WippyError.invalid("\(SSERelay.header): expected a JSON object") }
            if let text = value["target_pid"]?.stringValue, !text.isEmpty {
                guard let pid = PID(parsing: text) else { throw WippyError.invalid("\(SSERelay.header): 'target_pid' \(text) is not a PID") }
                target = pid
            }
            if let topic = value["message_topic"]?.stringValue, !topic.isEmpty { messageTopic = topic }
            if let beat = try Self.duration(value, "heartbeat_interval") { heartbeat = beat }
            metadata = value["metadata"] ?? .null
            idleTimeout = try Self.duration(value, "idle_timeout")
            hardTimeout = try Self.duration(value, "hard_timeout")
        }

        static func duration(_ value: Payload, _ key: String) throws(WippyError) -> Duration? {
            guard let field = value[key], !field.isNull else { return nil }
            if let text = field.stringValue {
                guard let parsed = try? GoDuration.parse(text), parsed.nanoseconds >= 0 else {
                    throw WippyError.invalid("\(SSERelay.header): '\(key)' \(text) is not a duration")
                }
                return parsed.nanoseconds == 0 ? nil : .nanoseconds(parsed.nanoseconds)
            }
            if let milliseconds = field.intValue, milliseconds >= 0 { return milliseconds == 0 ? nil : .milliseconds(milliseconds) }
            throw WippyError.invalid("\(SSERelay.header): '\(key)' must be a duration such as \"30s\"")
        }
    }

    /// Whether the request's `Origin` may open a stream: no `Origin`, a listed one (or `*`), or the same
    /// origin as the request's `Host`.
    public static func allows(origin: String?, host: String?, options: Options) -> Bool {
        guard let origin, !origin.isEmpty else { return true }
        if let allowed = options.allowedOrigins {
            if allowed.contains("*") || allowed.contains(where: { $0.lowercased() == origin.lowercased() }) { return true }
        }
        guard let host else { return false }
        for scheme in ["http://", "https://"] where origin.lowercased().hasPrefix(scheme) {
            return origin.dropFirst(scheme.count).lowercased() == host.lowercased()
        }
        return false
    }

    /// Turns the exchange (its handler has ended, having set ``header``) into a relay stream: refused with
    /// 403 for a foreign origin, 500 with the error text for a bad header, else the SSE head goes out and a
    /// connection process starts on `host`, queueing at most `bufferSize` events (`host.buffer_size`) for a
    /// client that does not read. Returns the connection's PID when one started.
    @discardableResult
    public static func start(
        _ exchange: HTTPExchange, header json: String, options: Options, node: Node, host: ProcessHost,
        bufferSize: Int = RelayBacklog.defaultMessages, logger: Logger? = nil
    ) -> PID? {
        guard allows(origin: exchange.request.header("Origin"), host: exchange.request.header("Host"), options: options) else {
            exchange.replace(status: 403, text: "origin not allowed")
            return nil
        }
        let settings: Settings
        do throws(WippyError) {
            settings = try Settings(json: json)
        } catch {
            exchange.replace(status: 500, text: error.message)
            return nil
        }
        if let target = settings.target, !node.isAlive(target) {
            exchange.replace(status: 500, text: "\(header): target process \(target) is not running")
            return nil
        }
        exchange.becomeEventStream(removing: header)
        let connection = SSEConnection(exchange: exchange, settings: settings, node: node, bufferSize: bufferSize, logger: logger)
        return node.spawn(on: host, starter: connection, hostLabel: "sse")
    }
}
