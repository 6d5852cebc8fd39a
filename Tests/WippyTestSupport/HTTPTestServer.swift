import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A small HTTP/1.1 server on a loopback port for `http_client` tests:
///
/// - `/echo...` (any method): 200 with a JSON body `{method, uri, headers, body}` (header names lower-case,
///   repeated ones joined with ", "), a `Set-Cookie` and a repeated `X-Multi` header.
/// - `/status/N`: status N, body `status N`.
/// - `/redirect/N`: 302 to `/redirect/N-1`, and `/redirect/0` to `/echo`; `/loop`: 302 to itself.
/// - `/big/N`: N bytes of `x`.
/// - `/stream`: a chunked body of the pieces `alpha-`, `beta-`, `gamma` (each flushed on its own);
///   `/trickle`: a chunked body that sends `first` and then nothing, never ending.
/// - `/hold`: no answer until some request asks for `/release`, which answers every held request with
///   `released` and itself with the number it released (`/release?wait=1` waits for a held one first).
///   `/slow`: never answered.
public final class HTTPTestServer: Sendable {
    let channel: any Channel
    public let port: Int
    /// Requests to `/hold` not answered yet, and `/release?wait=1` requests waiting for one.
    let waiting = Mutex<(held: [@Sendable (String) -> Void], releasers: [@Sendable (String) -> Void])>(([], []))

    let secure: Bool

    /// `http://127.0.0.1:<port>` (`https` when serving TLS).
    public var base: String { "\(secure ? "https" : "http")://127.0.0.1:\(port)" }

    /// Listens on a loopback port, or on the Unix socket at `unixSocketPath`; with `tls`, speaks HTTPS with
    /// ``TestCertificate``, and with `clientCertificates` also asks clients for that certificate.
    public init(unixSocketPath: String? = nil, tls: Bool = false, clientCertificates: Bool = false) async throws {
        let box = Mutex<HTTPTestServer?>(nil)
        var context: NIOSSLContext?
        if tls {
            let certificates = try NIOSSLCertificate.fromPEMBytes(Array(TestCertificate.certificatePEM.utf8))
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: certificates.map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(TestCertificate.privateKeyPEM.utf8), format: .pem)))
            if clientCertificates {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(certificates)
            }
            context = try NIOSSLContext(configuration: configuration)
        }
        let sslContext = context
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: { box.withLock { $0 } }))
                }
            }
        let channel =
            if let unixSocketPath {
                try await bootstrap.bind(unixDomainSocketPath: unixSocketPath, cleanupExistingSocketFile: true).get()
            } else {
                try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
            }
        self.channel = channel
        secure = tls
        port = channel.localAddress?.port ?? 0
        box.withLock { $0 = self }
    }

    /// A port nothing listens on.
    ///
    /// Port 1 (tcpmux, never served here): a port freed by binding and closing it could be taken at once by
    /// a server of a test running in parallel, which then answers the "refused" request (seen in CI).
    public static func closedPort() async throws -> Int { 1 }

    func hold(_ answer: @escaping @Sendable (String) -> Void) {
        let releasers = waiting.withLock { waiting -> [@Sendable (String) -> Void] in
            waiting.held.append(answer)
            defer { waiting.releasers = [] }
            return waiting.releasers
        }
        for releaser in releasers { release(releaser, wait: false) }
    }

    /// Answers every held request with `released` and `answer` with their number; with `wait`, when none is
    /// held yet, waits for the next `/hold`.
    func release(_ answer: @escaping @Sendable (String) -> Void, wait: Bool) {
        let held = waiting.withLock { waiting -> [@Sendable (String) -> Void]? in
            if waiting.held.isEmpty, wait {
                waiting.releasers.append(answer)
                return nil
            }
            defer { waiting.held = [] }
            return waiting.held
        }
        guard let held else { return }
        for request in held { request("released") }
        answer("\(held.count)")
    }

    public func stop() async {
        try? await channel.close()
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: @Sendable () -> HTTPTestServer?
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(server: @escaping @Sendable () -> HTTPTestServer?) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(let buffer):
                body.append(contentsOf: buffer.readableBytesView)
            case .end:
                if let head { respond(head, context: context) }
            }
        }

        func respond(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
            let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
            let parts = path.split(separator: "/").map(String.init)
            switch parts.first {
            case "echo":
                var headers: [String: String] = [:]
                for (name, value) in head.headers {
                    let key = name.lowercased()
                    headers[key] = headers[key].map { $0 + ", " + value } ?? value
                }
                let object: [String: Any] = [
                    "method": head.method.rawValue, "uri": head.uri, "headers": headers,
                    "body": String(decoding: body, as: UTF8.self),
                ]
                let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
                send(
                    .ok, [("Content-Type", "application/json"), ("set-cookie", "session=abc123; Path=/; HttpOnly"),
                        ("x-multi", "first"), ("x-multi", "second")],
                    Array(json), head: head, context: context)
            case "status":
                let code = Int(parts.count > 1 ? parts[1] : "") ?? 500
                send(.init(statusCode: code), [], Array("status \(code)".utf8), head: head, context: context)
            case "redirect":
                let left = Int(parts.count > 1 ? parts[1] : "") ?? 0
                send(.found, [("Location", left > 0 ? "/redirect/\(left - 1)" : "/echo")], [], head: head, context: context)
            case "loop":
                send(.found, [("Location", "/loop")], [], head: head, context: context)
            case "big":
                let size = Int(parts.count > 1 ? parts[1] : "") ?? 0
                send(.ok, [], Array(repeating: UInt8(ascii: "x"), count: size), head: head, context: context)
            case "stream":
                var response = HTTPResponseHead(version: head.version, status: .ok)
                response.headers.add(name: "Transfer-Encoding", value: "chunked")
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                for piece in ["alpha-", "beta-", "gamma"] {
                    context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: piece)))), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            case "trickle":
                var response = HTTPResponseHead(version: head.version, status: .ok)
                response.headers.add(name: "Transfer-Encoding", value: "chunked")
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "first")))), promise: nil)
            case "hold":
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let loop = context.eventLoop
                let answer: @Sendable (String) -> Void = { text in
                    loop.execute {
                        let (handler, context) = bound.value
                        handler.send(.ok, [], Array(text.utf8), head: head, context: context)
                    }
                }
                server()?.hold(answer)
            case "release":
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                let loop = context.eventLoop
                let answer: @Sendable (String) -> Void = { text in
                    loop.execute {
                        let (handler, context) = bound.value
                        handler.send(.ok, [], Array(text.utf8), head: head, context: context)
                    }
                }
                server()?.release(answer, wait: head.uri.hasSuffix("?wait=1"))
            case "slow":
                break
            default:
                send(.notFound, [], Array("no route".utf8), head: head, context: context)
            }
        }

        func send(
            _ status: HTTPResponseStatus, _ headers: [(String, String)], _ body: [UInt8], head: HTTPRequestHead,
            context: ChannelHandlerContext
        ) {
            var response = HTTPResponseHead(version: head.version, status: status)
            for (name, value) in headers { response.headers.add(name: name, value: value) }
            let bodyless = status == .noContent || status == .notModified
            if !bodyless { response.headers.add(name: "Content-Length", value: "\(body.count)") }
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            if head.method != .HEAD, !bodyless, !body.isEmpty {
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
