public import WippyCore
import AsyncHTTPClient
import WippyCodecs
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Runs outbound HTTP requests on async-http-client's shared event loop group and reports each through a
/// completion, called once from some event loop or concurrency thread. Nothing waits on a thread: the caller
/// suspends its Lua process and the completion resumes it.
///
/// Redirects are followed (at most 10, like Go's client); a failed connection fails the request at once
/// (no retrying until the connect timeout). A non-2xx status is a response, not an error.
public final class OutboundHTTPClient: Sendable {
    /// The client of every `http_client` call of the process.
    public static let shared = OutboundHTTPClient()

    let client: HTTPClient

    init() {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .follow(max: 10, allowCycles: true))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(30))
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Sends `request`; `completion` gets the response, or the error (`Invalid` for a bad URL, `Internal` and
    /// retryable for a transport failure or a timeout).
    public func send(_ request: OutboundRequest, completion: @escaping @Sendable (Result<OutboundResponse, WippyError>) -> Void) {
        let prepared: HTTPClientRequest
        do throws(WippyError) {
            prepared = try Self.prepare(request)
        } catch {
            completion(.failure(error))
            return
        }
        let outcome = Outcome(completion)
        let nanoseconds = Self.nanoseconds(request.timeout)
        let deadline = NIODeadline.now() + .nanoseconds(nanoseconds)
        let client = self.client
        let work = Task {
            do {
                let response = try await client.execute(prepared, deadline: deadline)
                let url = response.history.last?.request.url ?? request.url
                let headers = response.headers.map { (name: $0.name, value: $0.value) }
                if request.stream {
                    outcome.deliver(
                        .success(OutboundResponse(
                            status: Int(response.status.code), url: url, headers: headers, body: [],
                            stream: OutboundBodyStream(
                                response.body, deadline: deadline, timeoutMessage: Self.timeoutMessage(request),
                                loop: client.eventLoopGroup.any()))))
                    return
                }
                let buffer: ByteBuffer
                do {
                    buffer = try await response.body.collect(upTo: request.maxResponseBody)
                } catch is NIOTooManyBytesError {
                    outcome.deliver(.failure(Self.failure(request, "response body exceeds \(request.maxResponseBody) bytes", retryable: false)))
                    return
                }
                outcome.deliver(
                    .success(OutboundResponse(
                        status: Int(response.status.code), url: url, headers: headers, body: Array(buffer.readableBytesView))))
            } catch {
                outcome.deliver(.failure(Self.failure(error, request: request, timedOut: outcome.timedOut)))
            }
        }
        // The deadline given to async-http-client covers the head; this one also covers reading the body.
        let timer = client.eventLoopGroup.any().scheduleTask(in: .nanoseconds(nanoseconds)) {
            if outcome.markTimedOut() { work.cancel() }
        }
        outcome.onDeliver { timer.cancel() }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? Int64.max / 2 : max(0, product + attoseconds / 1_000_000_000)
    }

    static func prepare(_ request: OutboundRequest) throws(WippyError) -> HTTPClientRequest {
        var url = request.url
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else {
            throw WippyError.invalid("invalid URL \"\(request.url)\": missing scheme (http:// or https://)")
        }
        let scheme = url[..<colon].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw WippyError.invalid("invalid URL \"\(request.url)\": unsupported protocol scheme \"\(scheme)\"")
        }
        let rest = url[url.index(colon, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.hasPrefix(":") else {
            throw WippyError.invalid("invalid URL \"\(request.url)\": no host")
        }
        if let socket = request.unixSocket {
            // async-http-client's form: the socket path, percent-encoded, as the host of an http+unix URL.
            var path = String(rest[authorityEnd...])
            if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
            if !path.hasPrefix("/") { path = "/" + path }
            let encoded = socket.utf8.map { byte -> String in
                let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                return plain ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }.joined()
            url = (scheme == "https" ? "https+unix://" : "http+unix://") + encoded + path
        }
        var prepared = HTTPClientRequest(url: url)
        prepared.method = HTTPMethod(rawValue: request.method)
        for header in request.headers { prepared.headers.add(name: header.name, value: header.value) }
        if let body = request.body {
            prepared.body = .bytes(ByteBuffer(bytes: body))
        }
        if let tls = request.tls { prepared.tlsConfiguration = try configuration(tls) }
        return prepared
    }

    /// A client TLS configuration with the request's trust roots, client certificate and verification.
    static func configuration(_ tls: OutboundRequest.TLS) throws(WippyError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        func certificates(_ pem: String, _ field: String) throws(WippyError) -> [NIOSSLCertificate] {
            guard let list = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)), !list.isEmpty else {
                throw WippyError.invalid("tls.\(field) is not a PEM certificate")
            }
            return list
        }
        if let authorities = tls.certificateAuthorities {
            configuration.trustRoots = .certificates(try certificates(authorities, "ca"))
        }
        switch (tls.certificate, tls.privateKey) {
        case (let certificate?, let key?):
            configuration.certificateChain = try certificates(certificate, "cert").map { .certificate($0) }
            guard let privateKey = try? NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem) else {
                throw WippyError.invalid("tls.key is not a PEM private key")
            }
            configuration.privateKey = .privateKey(privateKey)
        case (nil, nil):
            break
        default:
            throw WippyError.invalid("tls: cert and key must be given together")
        }
        if tls.insecureSkipVerify { configuration.certificateVerification = .none }
        return configuration
    }

    static func timeoutMessage(_ request: OutboundRequest) -> String {
        "\(request.method) \(request.url): timeout after \(GoDuration(nanoseconds(request.timeout)).description)"
    }

    static func failure(_ request: OutboundRequest, _ reason: String, retryable: Bool = true) -> WippyError {
        WippyError("\(request.method) \(request.url): \(reason)", kind: .internal, retryable: retryable)
    }

    static func failure(_ error: any Error, request: OutboundRequest, timedOut: Bool) -> WippyError {
        if timedOut { return WippyError(timeoutMessage(request), kind: .internal, retryable: true) }
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .tlsHandshakeTimeout:
                return WippyError(timeoutMessage(request), kind: .internal, retryable: true)
            case .invalidURL, .emptyHost, .emptyScheme:
                return WippyError("invalid URL \"\(request.url)\"", kind: .invalid, retryable: false)
            case .redirectLimitReached:
                return failure(request, "stopped after 10 redirects", retryable: false)
            case .remoteConnectionClosed:
                return failure(request, "connection closed by the server")
            default:
                break
            }
        }
        let text = String(describing: error)
        if text.lowercased().contains("refused") { return failure(request, "connection refused") }
        if error is NIOSSLError {
            if text.contains("CERTIFICATE_VERIFY_FAILED") { return failure(request, "TLS handshake failed: certificate verify failed") }
            return failure(request, "TLS handshake failed: \(text)")
        }
        return failure(request, text)
    }

    /// The single delivery of one request's outcome, and whether its timer fired first.
    final class Outcome: Sendable {
        struct State {
            var completion: (@Sendable (Result<OutboundResponse, WippyError>) -> Void)?
            var timedOut = false
            var delivered = false
            var onDeliver: (@Sendable () -> Void)?
        }
        let state: Mutex<State>

        init(_ completion: @escaping @Sendable (Result<OutboundResponse, WippyError>) -> Void) {
            state = Mutex(State(completion: completion))
        }

        var timedOut: Bool { state.withLock { $0.timedOut } }

        /// True when the request was still running (and now counts as timed out).
        func markTimedOut() -> Bool {
            state.withLock { state in
                if state.delivered { return false }
                state.timedOut = true
                return true
            }
        }

        func onDeliver(_ action: @escaping @Sendable () -> Void) {
            let now = state.withLock { state -> Bool in
                if state.delivered { return true }
                state.onDeliver = action
                return false
            }
            if now { action() }
        }

        func deliver(_ result: Result<OutboundResponse, WippyError>) {
            let (completion, after) = state.withLock { state -> ((@Sendable (Result<OutboundResponse, WippyError>) -> Void)?, (@Sendable () -> Void)?) in
                defer {
                    state.completion = nil
                    state.onDeliver = nil
                    state.delivered = true
                }
                return (state.completion, state.onDeliver)
            }
            after?()
            completion?(result)
        }
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
