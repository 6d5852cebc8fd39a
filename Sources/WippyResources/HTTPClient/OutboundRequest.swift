/// One outbound HTTP request as `http_client` describes it, ready for ``OutboundHTTPClient/send(_:completion:)``.
public struct OutboundRequest: Sendable {
    /// Upper-case method (`GET`, `POST`, ...).
    public var method: String
    public var url: String
    /// In the order given; a name may repeat.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// For the whole exchange (connect, send, head and, unless streaming, the body).
    public var timeout: Duration
    /// A longer body fails the request.
    public var maxResponseBody: Int
    /// Return after the head; the body is read through ``OutboundResponse/stream``.
    public var stream: Bool
    /// Connect to this Unix socket instead of the URL's host (the URL's path and query are sent).
    public var unixSocket: String?
    /// TLS settings of this request (HTTPS only); nil uses the system's trust roots.
    public var tls: TLS?

    /// `tls = {cert=, key=, ca=, insecure_skip_verify=}`: PEM strings.
    public struct TLS: Sendable {
        /// Client certificate chain and its private key (both or neither).
        public var certificate: String?
        public var privateKey: String?
        /// Trust these certificate authorities instead of the system's.
        public var certificateAuthorities: String?
        public var insecureSkipVerify: Bool

        public init(certificate: String? = nil, privateKey: String? = nil, certificateAuthorities: String? = nil, insecureSkipVerify: Bool = false) {
            self.certificate = certificate
            self.privateKey = privateKey
            self.certificateAuthorities = certificateAuthorities
            self.insecureSkipVerify = insecureSkipVerify
        }
    }

    public static let defaultTimeout = Duration.seconds(30)
    public static let defaultMaxResponseBody = 120 << 20

    public init(
        method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
        timeout: Duration = defaultTimeout, maxResponseBody: Int = defaultMaxResponseBody, stream: Bool = false,
        unixSocket: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maxResponseBody = maxResponseBody
        self.stream = stream
        self.unixSocket = unixSocket
    }
}
