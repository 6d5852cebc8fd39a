public import HummingbirdCore
public import HTTPTypes
import Hummingbird
public import WippyCore
public import NIOCore
import Foundation
import Synchronization

/// One request while its endpoint runs: the request as the handler reads it (an immutable snapshot plus a
/// one-shot body) and the response it builds, with lua-api-io §2.3/§11.5's state machine.
///
/// A response is buffered and sent when the handler has returned, unless the handler streams it: `flush`,
/// `write_event`, or a write after `set_transfer` sends the head at once, and from then on every write is
/// queued for the client and sent while the handler keeps running (``HTTPExchange+Stream.swift``). Headers
/// may be set until the first body byte or `set_status`; after that only body writes. Every method is safe
/// from any thread (the handler's worker, the body reader's task, the connection's writer).
public final class HTTPExchange: Sendable {
    /// The request line and headers, captured when the request arrived.
    public struct RequestHead: Sendable {
        public let method: String
        /// The path without the query (as sent, percent-escapes kept).
        public let path: String
        /// The raw query string (without `?`), `""` when absent.
        public let rawQuery: String
        /// Header fields in arrival order (names as sent).
        public let headers: [(name: String, value: String)]
        /// Route captures (`{name}`), in pattern order.
        public let parameters: [(String, String)]
        public let remoteAddress: String

        /// All values of `name` (case-insensitive) joined with `", "`, or `nil`.
        public func header(_ name: String) -> String? {
            let values = headers.filter { $0.name.equalsIgnoringCase(name) }.map(\.value)
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }

        /// `Content-Length` when sent and valid, else `-1`.
        public var contentLength: Int { header("Content-Length").flatMap { Int($0.trimmingSpaces) } ?? -1 }

        /// Query pairs in order, `+` and percent-escapes decoded.
        public var query: [(String, String)] {
            guard !rawQuery.isEmpty else { return [] }
            return rawQuery.split(separator: "&", omittingEmptySubsequences: true).map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let decode = { (text: Substring) in RoutePattern.unescape(text.replacingPlus) }
                return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
            }
        }
    }

    public let request: RequestHead
    /// The actor and scope middleware (`token_auth`) put on the request, if any.
    public let security: HTTPSecurityIdentity?
    let body: Mutex<RequestBody?>
    /// `timeouts.read` of the server, from the request's arrival: body reads past it fail.
    public let readDeadline: ContinuousClock.Instant?
    /// The connection, watched once a response streams (a client that leaves fails the next write).
    let channel: (any Channel)?
    /// Where the server tracks its streaming responses (ended when it stops).
    let streams: HTTPStreamRegistry?
    /// The endpoint the server runs for this exchange (set by the server; `nil` for exchanges made elsewhere).
    let target: HTTPEndpointTarget?

    struct ResponseState {
        var status: Int?
        var headers: [(name: String, value: String)] = []
        /// The buffered body; once streaming, the bytes queued for the client.
        var body: [UInt8] = []
        /// While streaming: how many writes `body` holds (the writer takes them all at once). A relay bounds
        /// its client by this count (`host.buffer_size`), not only by bytes.
        var queuedWrites = 0
        /// Status line committed (`set_status`, a write, `flush`).
        var committed = false
        /// Something the handler did counts as a reply (no fallback 500).
        var handled = false
        var finished = false
        /// `set_transfer` was called: the first write starts the stream.
        var streamRequested = false
        /// The head went out with a streamed body.
        var streaming = false
        /// The client left (or the connection failed) while streaming: writes fail.
        var clientGone = false
        /// The streamed response, once its head went out.
        var streamed: Response?
        /// The server's responder, waiting for the response (resumed at the stream's start or at the end).
        var reply: CheckedContinuation<Response, Never>?
        /// The connection's writer, waiting for queued bytes.
        var pump: CheckedContinuation<PumpStep, Never>?
        /// Processes waiting for the queue to drain.
        var drainWaiters: [@Sendable () -> Void] = []
        /// The most bytes the queue held.
        var peakQueued = 0
        /// Temporary files of spilled multipart parts, removed when the exchange finishes.
        var temporaryFiles: [String] = []
        /// Called once when the client leaves a streamed response (see ``whenClientGone(_:)``).
        var goneCallbacks: [@Sendable () -> Void] = []
    }
    let state = Mutex(ResponseState())

    public init(
        request: Request, parameters: [(String, String)], remoteAddress: String, channel: (any Channel)? = nil,
        readDeadline: ContinuousClock.Instant? = nil, streams: HTTPStreamRegistry? = nil, security: HTTPSecurityIdentity? = nil,
        target: HTTPEndpointTarget? = nil
    ) {
        self.security = security
        self.target = target
        // HTTPTypes moves `Host` to the authority pseudo-field; handlers (`req:host()`, relays' origin
        // checks) read it as a header. One array, sized once.
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(request.headers.count + 1)
        if let authority = request.head.authority, !request.headers.contains(where: { $0.name.canonicalName == "host" }) {
            headers.append(("Host", authority))
        }
        for field in request.headers { headers.append((field.name.rawName, field.value)) }
        self.request = RequestHead(
            method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query ?? "",
            headers: headers, parameters: parameters, remoteAddress: remoteAddress)
        self.body = Mutex(request.body)
        self.channel = channel
        self.readDeadline = readDeadline
        self.streams = streams
    }

    // MARK: - Response

    static let afterHeaders = WippyError.invalid("cannot set status after headers are sent")
    static let writeFailed = WippyError.internal("write failed")

    /// Hands the response to `continuation` once it is known: at the stream's start, or when the exchange
    /// finished (at once if it already has).
    public func reply(to continuation: CheckedContinuation<Response, Never>) {
        let ready = state.withLock { state -> Response? in
            if let streamed = state.streamed { return streamed }
            if state.finished { return bufferedResponse(state) }
            state.reply = continuation
            return nil
        }
        if let ready { continuation.resume(returning: ready) }
    }

    /// The response, once known (see ``reply(to:)``).
    public func response() async -> Response {
        await withCheckedContinuation { reply(to: $0) }
    }

    /// `set_status`: commits the status; a second call or one after a write is `Invalid`.
    public func setStatus(_ code: Int) -> WippyError? {
        guard (100...999).contains(code) else { return .invalid("invalid status code \(code)") }
        return state.withLock { state -> WippyError? in
            if state.finished { return .invalid("response already finished") }
            if state.committed { return Self.afterHeaders }
            state.status = code
            state.committed = true
            state.handled = true
            return nil
        }
    }

    /// `set_header` (`handles: true`) and `set_content_type` (`false`): replaces the header until commit.
    public func setHeader(_ name: String, _ value: String, handles: Bool) -> WippyError? {
        guard HTTPField.Name(name) != nil else { return .invalid("invalid header name '\(name)'") }
        guard HTTPField.isValidValue(value) else { return .invalid("invalid value for header '\(name)'") }
        return state.withLock { state -> WippyError? in
            if state.finished { return .invalid("response already finished") }
            if state.committed { return .invalid("cannot set header after headers are sent") }
            state.headers.removeAll { $0.name.equalsIgnoringCase(name) }
            state.headers.append((name, value))
            if handles { state.handled = true }
            return nil
        }
    }

    /// `set_transfer`: the first write (or `flush`) sends the head and streams the body.
    public func requestStreaming() {
        state.withLock { $0.streamRequested = true }
    }

    /// Before an SSE event: the first one sets the SSE headers and streams; once headers of another content
    /// type went out (a body byte or a flush; a `set_status` alone still allows it): `Invalid`.
    public func beginEvents() -> WippyError? {
        state.withLock { state -> WippyError? in
            if state.finished { return .internal("write failed: response already finished") }
            let type = state.headers.last { $0.name.equalsIgnoringCase("Content-Type") }?.value
            if state.streaming || !state.body.isEmpty {
                return type?.hasPrefix("text/event-stream") == true ? nil : .invalid("cannot switch to SSE after headers are sent")
            }
            state.headers.removeAll { $0.name.equalsIgnoringCase("Content-Type") || $0.name.equalsIgnoringCase("Cache-Control") }
            state.headers.append(("Content-Type", "text/event-stream"))
            state.headers.append(("Cache-Control", "no-cache"))
            state.streamRequested = true
            return nil
        }
    }

    /// Keeps temporary files until the exchange finishes; `false` when it already has.
    func adoptTemporaryFiles(_ paths: [String]) -> Bool {
        state.withLock { state in
            guard !state.finished else { return false }
            state.temporaryFiles += paths
            return true
        }
    }

    /// Replaces what the handler built with a plain-text reply and finishes (a relay refusing a request).
    public func replace(status: Int, text: String) {
        let replaced = state.withLock { state -> Bool in
            guard !state.finished, !state.streaming else { return false }
            let reply = state.reply
            state = Self.plainError(status, text)
            state.reply = reply
            state.handled = true
            return true
        }
        if replaced { finish(.returnedNothing) }
    }

    /// Drops what the handler built except its headers (without `header`), and sends an SSE head now: the
    /// body streams from here (a relay's connection writes it and finishes the exchange).
    public func becomeEventStream(removing header: String) {
        state.withLock { state in
            guard !state.finished, !state.streaming else { return }
            state.headers.removeAll {
                $0.name.equalsIgnoringCase(header) || $0.name.equalsIgnoringCase("Content-Type") || $0.name.equalsIgnoringCase("Cache-Control")
                    || $0.name.equalsIgnoringCase("Content-Length")
            }
            state.headers += [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]
            state.body = []
            state.status = 200
            state.handled = true
        }
        flush()
    }

    /// The value of response header `name` as set so far (case-insensitive), or `nil`.
    public func responseHeader(_ name: String) -> String? {
        state.withLock { state in state.headers.last { $0.name.equalsIgnoringCase(name) }?.value }
    }

    /// `write` / `write_json`: appends body bytes and commits (status 200 unless set). `contentType` is set
    /// only when nothing is committed yet and no content type was set. While streaming the bytes are queued
    /// for the client (see ``isQueueFull``); after the client left: `Internal` "write failed".
    public func write(_ bytes: [UInt8], contentType: String? = nil) -> WippyError? {
        var wake = Wakeups()
        let error = state.withLock { state -> WippyError? in
            if state.finished { return .internal("write failed: response already finished") }
            if state.clientGone { return Self.writeFailed }
            if let contentType, !state.committed, !state.headers.contains(where: { $0.name.equalsIgnoringCase("Content-Type") }) {
                state.headers.append(("Content-Type", contentType))
            }
            state.committed = true
            state.handled = true
            if state.streaming {
                enqueue(bytes, &state, &wake)
                return nil
            }
            state.body.append(contentsOf: bytes)
            if state.streamRequested { startStream(&state, &wake) }
            return nil
        }
        wake.run()
        return error
    }

    /// `flush`: commits the headers and sends them with what was written so far; the rest of the body
    /// streams.
    public func flush() {
        var wake = Wakeups()
        state.withLock { state in
            guard !state.finished else { return }
            state.committed = true
            state.handled = true
            if !state.streaming { startStream(&state, &wake) }
        }
        wake.run()
    }

    /// What the handler ended with, for the reply rules of lua-api-io §1.3.
    public enum Outcome: Sendable {
        /// It raised, returned `nil, err`, or could not run.
        case failed(String)
        /// It returned a value (JSON-encoded).
        case returned(json: [UInt8])
        /// It returned nothing.
        case returnedNothing
    }

    /// Ends the exchange: a handler that did not touch the response gets its fallback (500 with the error
    /// text, the returned value as JSON, or 500 "no response sent"); a streamed body ends once its queue is
    /// sent. Later response calls fail.
    public func finish(_ outcome: Outcome) {
        var wake = Wakeups()
        var files: [String] = []
        defer { for path in files { try? FileManager.default.removeItem(atPath: path) } }
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            files = state.temporaryFiles
            state.temporaryFiles = []
            if state.streaming {
                if state.body.isEmpty, let pump = state.pump {
                    state.pump = nil
                    wake.pump = (pump, .end)
                }
                wake.waiters = state.drainWaiters
                state.drainWaiters = []
                return
            }
            if !state.handled {
                let reply = state.reply
                switch outcome {
                case .failed(let message):
                    state = Self.plainError(500, message)
                case .returned(let json):
                    state.status = 200
                    state.headers.removeAll { $0.name.equalsIgnoringCase("Content-Type") }
                    state.headers.append(("Content-Type", "application/json"))
                    state.body = json
                case .returnedNothing:
                    state = Self.plainError(500, "no response sent")
                }
                state.reply = reply
                state.finished = true
            }
            if let reply = state.reply {
                state.reply = nil
                wake.reply = (reply, bufferedResponse(state))
            }
        }
        wake.run()
    }

    private static func plainError(_ status: Int, _ message: String) -> ResponseState {
        var state = ResponseState(status: status)
        state.headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]
        state.body = Array((message + "\n").utf8)
        return state
    }

    /// The status and headers to send (a body without a content type is `text/plain`).
    func head(_ state: ResponseState) -> (HTTPResponse.Status, HTTPFields) {
        var fields = HTTPFields()
        for (name, value) in state.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        if (state.streaming || !state.body.isEmpty) && fields[.contentType] == nil { fields[.contentType] = "text/plain; charset=utf-8" }
        return (HTTPResponse.Status(code: state.status ?? 200), fields)
    }

    /// The whole buffered response (a `HEAD` request gets the headers and length without the body).
    func bufferedResponse(_ state: ResponseState) -> Response {
        var (status, fields) = head(state)
        if request.method == "HEAD" {
            fields[.contentLength] = String(state.body.count)
            return Response(status: status, headers: fields)
        }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: state.body)))
    }

    /// Whether the handler ran to a reply the fallback did not replace (for tests and logs).
    public var isHandled: Bool { state.withLock { $0.handled } }
}

extension String {
    func equalsIgnoringCase(_ other: String) -> Bool {
        utf8.count == other.utf8.count && lowercased() == other.lowercased()
    }

    var trimmingSpaces: Substring {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}

extension Substring {
    var replacingPlus: String { String(map { $0 == "+" ? " " : $0 }) }
}
