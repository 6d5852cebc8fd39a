/// What came back: the final status, URL (after redirects) and headers, and the body or a stream of it.
public struct OutboundResponse: Sendable {
    public var status: Int
    /// The URL of the last request (redirects followed).
    public var url: String
    /// As received, in order.
    public var headers: [(name: String, value: String)]
    /// Empty when streaming.
    public var body: [UInt8]
    /// Only for a request with ``OutboundRequest/stream``.
    public var stream: OutboundBodyStream?

    public init(
        status: Int, url: String, headers: [(name: String, value: String)], body: [UInt8], stream: OutboundBodyStream? = nil
    ) {
        self.status = status
        self.url = url
        self.headers = headers
        self.body = body
        self.stream = stream
    }
}
