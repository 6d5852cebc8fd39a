public import HummingbirdCore
public import HTTPTypes
import Hummingbird
public import WippyCore
import NIOCore
import Synchronization

/// One request while its endpoint runs: the request as the handler reads it (an immutable snapshot plus a
/// one-shot body) and the response it builds, with lua-api-io §2.3/§11.5's state machine.
///
/// The response is buffered and sent when the handler has returned (``response(forHead:)``): headers may be
/// set until the first body byte or `set_status`; after that only body writes. Every method is safe from
/// any thread (the handler's worker, the body reader's task).
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
    private let body: Mutex<RequestBody?>

    private struct ResponseState {
        var status: Int?
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        /// Status line committed (`set_status`, a write, `flush`).
        var committed = false
        /// Something the handler did counts as a reply (no fallback 500).
        var handled = false
        var finished = false
    }
    private let state = Mutex(ResponseState())

    public init(request: Request, parameters: [(String, String)], remoteAddress: String, security: HTTPSecurityIdentity? = nil) {
        self.security = security
        self.request = RequestHead(
            method: request.method.rawValue, path: request.uri.path, rawQuery: request.uri.query ?? "",
            headers: request.headers.map { ($0.name.rawName, $0.value) }, parameters: parameters, remoteAddress: remoteAddress)
        self.body = Mutex(request.body)
    }

    // MARK: - Request body

    /// Reads the whole body once (later reads fail: `Internal` "failed to read body"): `Invalid` "request body
    /// too large" past `limit` bytes (by `Content-Length` or by what arrives), `Internal` on a read failure or
    /// after `timeout`. `completion` runs on a task of the concurrency pool.
    public func readBody(limit: Int, timeout: Duration, completion: @escaping @Sendable (Result<[UInt8], WippyError>) -> Void) {
        guard let body = body.withLock({ body -> RequestBody? in
            defer { body = nil }
            return body
        }) else {
            return completion(.failure(.internal("failed to read body: body already read")))
        }
        if request.contentLength > limit { return completion(.failure(.invalid("request body too large"))) }
        Task {
            let result: Result<[UInt8], WippyError> = await withTaskGroup(of: Result<[UInt8], WippyError>?.self) { group in
                group.addTask {
                    do {
                        var buffer = try await body.collect(upTo: limit)
                        return .success(buffer.readBytes(length: buffer.readableBytes) ?? [])
                    } catch let error as HTTPError where error.status == .contentTooLarge {
                        return .failure(.invalid("request body too large"))
                    } catch {
                        return .failure(.internal("failed to read body: \(error)"))
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return Task.isCancelled ? nil : .failure(.internal("failed to read body: timed out"))
                }
                var outcome: Result<[UInt8], WippyError> = .failure(.internal("failed to read body"))
                for await result in group {
                    if let result {
                        outcome = result
                        break
                    }
                }
                group.cancelAll()
                return outcome
            }
            completion(result)
        }
    }

    // MARK: - Response

    static let afterHeaders = WippyError.invalid("cannot set status after headers are sent")

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

    /// `write` / `write_json`: appends body bytes and commits (status 200 unless set). `contentType` is set
    /// only when nothing is committed yet and no content type was set.
    public func write(_ bytes: [UInt8], contentType: String? = nil) -> WippyError? {
        state.withLock { state -> WippyError? in
            if state.finished { return .internal("write failed: response already finished") }
            if let contentType, !state.committed, !state.headers.contains(where: { $0.name.equalsIgnoringCase("Content-Type") }) {
                state.headers.append(("Content-Type", contentType))
            }
            state.committed = true
            state.handled = true
            state.body.append(contentsOf: bytes)
            return nil
        }
    }

    /// `flush`: commits the headers (the body goes out when the handler returns).
    public func flush() {
        state.withLock { state in
            guard !state.finished else { return }
            state.committed = true
            state.handled = true
        }
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
    /// text, the returned value as JSON, or 500 "no response sent"). Later response calls fail.
    public func finish(_ outcome: Outcome) {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            guard !state.handled else { return }
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
            state.finished = true
        }
    }

    private static func plainError(_ status: Int, _ message: String) -> ResponseState {
        var state = ResponseState(status: status)
        state.headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]
        state.body = Array((message + "\n").utf8)
        return state
    }

    /// The response to send (a `HEAD` request gets the headers and length without the body).
    public func response(forHead head: Bool) -> Response {
        let state = state.withLock { $0 }
        var fields = HTTPFields()
        for (name, value) in state.headers {
            if let field = HTTPField.Name(name) { fields.append(HTTPField(name: field, value: value)) }
        }
        if !state.body.isEmpty && fields[.contentType] == nil { fields[.contentType] = "text/plain; charset=utf-8" }
        let status = HTTPResponse.Status(code: state.status ?? 200)
        if head {
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
