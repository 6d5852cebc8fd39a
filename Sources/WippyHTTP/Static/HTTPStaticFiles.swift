public import Hummingbird
public import HummingbirdCore
import HTTPTypes
import NIOCore
import NIOPosix
import WippyCore
import WippyResources

/// An `http.static` mount (lua-api-io §1.4): files of an `fs.directory` under a path of the server, as Go's
/// `http.FileServer` serves them with the mount prefix stripped (directory `index.html`, directory
/// listings, `Range`, `If-Modified-Since`), or in SPA mode the index file for anything that is not a file.
///
/// Paths stay inside the directory: a `..` segment (plain or percent-encoded) is a 400, a symbolic link
/// leading outside is a 404. Lookups run on NIO's thread pool and file bodies stream from NIO's file system
/// in chunks: no worker thread or event loop waits on the disk, and memory stays bounded for big files.
public final class HTTPStaticFiles: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// The mount path without its trailing slash (`""` for `/`).
        public var mount: String
        public var spa: Bool
        /// The SPA index file (a path in the directory).
        public var index: String?
        /// `Cache-Control` on every response.
        public var cache: String?

        public init(mount: String, spa: Bool = false, index: String? = nil, cache: String? = nil) {
            var mount = mount
            while mount.hasSuffix("/") { mount.removeLast() }
            self.mount = mount
            self.spa = spa
            self.index = index
            self.cache = cache
        }
    }

    public let configuration: Configuration
    /// The real path of the directory's root, or `nil` while it is not open.
    let root: @Sendable () -> String?
    let fileIO = FileIO(threadPool: .singleton)

    public init(_ configuration: Configuration, root: @escaping @Sendable () -> String?) {
        self.configuration = configuration
        self.root = root
    }

    public func respond(to request: Request, context: HTTPRequestContext) async -> Response {
        var response = await serve(request, context: context)
        if let cache = configuration.cache { response.headers[.cacheControl] = cache }
        return response
    }

    private func serve(_ request: Request, context: HTTPRequestContext) async -> Response {
        let rawPath = request.uri.path
        guard rawPath.hasPrefix(configuration.mount) else { return Self.notFound }
        let relative = String(rawPath.dropFirst(configuration.mount.count))
        guard let decoded = Self.percentDecode(relative), !decoded.utf8.contains(0) else {
            return .plainText(.badRequest, "invalid URL path")
        }
        if decoded.split(separator: "/", omittingEmptySubsequences: false).contains("..") || decoded.contains("\\") {
            return .plainText(.badRequest, "invalid URL path")
        }
        guard let root = root() else { return .plainText(.serviceUnavailable, "static directory is not available") }
        let path = decoded.isEmpty ? "/" : decoded
        let found = await Self.lookup(path, root: root)
        if configuration.spa {
            if case .file(let real, let info) = found { return await file(real, info, request, context) }
            return await spaIndex(root: root, request: request, context: context)
        }
        switch found {
        case .missing:
            return Self.notFound
        case .file(let real, let info):
            if path.hasSuffix("/index.html") { return Self.redirect("./", request) }
            if path.hasSuffix("/") { return Self.redirect("../" + Self.lastComponent(path), request) }
            return await file(real, info, request, context)
        case .directory(let real, let index):
            if !path.hasSuffix("/") { return Self.redirect(Self.lastComponent(path) + "/", request) }
            if let index { return await file(real + "/index.html", index, request, context) }
            return await listing(real, request)
        }
    }

    /// The file at volume path `path` (for `sendfile`): the file with `Range` support, else 404.
    public func respond(toFile path: String, request: Request, context: HTTPRequestContext) async -> Response {
        guard !path.utf8.contains(0), !path.split(separator: "/").contains(".."), let root = root() else { return Self.notFound }
        guard case .file(let real, let info) = await Self.lookup(path.hasPrefix("/") ? path : "/" + path, root: root) else { return Self.notFound }
        return await file(real, info, request, context)
    }

    private static var notFound: Response { .plainText(.notFound, "404 page not found") }

    private func spaIndex(root: String, request: Request, context: HTTPRequestContext) async -> Response {
        guard let index = configuration.index, case .file(let real, let info) = await Self.lookup("/" + index, root: root) else {
            return Self.notFound
        }
        var response = await file(real, info, request, context, conditional: false)
        response.headers[.contentType] = "text/html; charset=utf-8"
        return response
    }

    /// A file's response: 304 when `If-Modified-Since` covers it, 206/416 for a `Range`, else 200.
    private func file(
        _ path: String, _ info: FileInfo, _ request: Request, _ context: HTTPRequestContext, conditional: Bool = true
    ) async -> Response {
        var headers = HTTPFields()
        headers[.lastModified] = HTTPDate.format(info.modified)
        if let type = HTTPContentType.forPath(path) {
            headers[.contentType] = type
        } else {
            headers[.contentType] = await Self.sniff(path, size: info.size)
        }
        headers[.acceptRanges] = "bytes"
        if conditional, let since = request.headers[.ifModifiedSince], let date = HTTPDate.parse(since), info.modified <= date {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        var status = HTTPResponse.Status.ok
        var range = 0..<info.size
        if conditional, let header = request.headers[.range] {
            switch ByteRange.parse(header, size: info.size) {
            case .whole:
                break
            case .unsatisfiable(let reason):
                var failure = Response.plainText(.rangeNotSatisfiable, reason)
                failure.headers[.contentRange] = "bytes */\(info.size)"
                return failure
            case .part(let part):
                status = .partialContent
                range = part
                headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(info.size)"
            case .parts(let parts):
                return await multipart(path, info, parts, headers, request, context)
            }
        }
        headers[.contentLength] = String(range.count)
        if request.method == .head || range.isEmpty { return Response(status: status, headers: headers) }
        do {
            let body = try await fileIO.loadFile(path: path, range: range.lowerBound...(range.upperBound - 1), context: context)
            return Response(status: status, headers: headers, body: body)
        } catch {
            return Self.notFound
        }
    }

    /// Several ranges: one `multipart/byteranges` body, each part with its `Content-Type` and `Content-Range`
    /// (the parts add up to at most the file's size: ``ByteRange`` sends the whole file otherwise).
    private func multipart(
        _ path: String, _ info: FileInfo, _ parts: [Range<Int>], _ fileHeaders: HTTPFields, _ request: Request, _ context: HTTPRequestContext
    ) async -> Response {
        let boundary = Self.boundary()
        let type = fileHeaders[.contentType] ?? "application/octet-stream"
        let heads = parts.map { part in
            "--\(boundary)\r\nContent-Range: bytes \(part.lowerBound)-\(part.upperBound - 1)/\(info.size)\r\nContent-Type: \(type)\r\n\r\n"
        }
        let closing = "--\(boundary)--\r\n"
        var headers = fileHeaders
        headers[.contentType] = "multipart/byteranges; boundary=\(boundary)"
        let length = zip(heads, parts).reduce(closing.utf8.count) { $0 + $1.0.utf8.count + $1.1.count + 2 }
        headers[.contentLength] = String(length)
        if request.method == .head { return Response(status: .partialContent, headers: headers) }
        guard let file = await Self.onPool({ FileRanges(path: path) }) else { return Self.notFound }
        let body = ResponseBody(contentLength: length) { writer in
            for (head, part) in zip(heads, parts) {
                try await writer.write(ByteBuffer(string: head))
                var offset = part.lowerBound
                while offset < part.upperBound {
                    let count = min(FileRanges.chunk, part.upperBound - offset)
                    let at = offset
                    guard let chunk = await Self.onPool({ file.read(at: at, count: count) }) else {
                        throw HTTPError(.internalServerError, message: "the file changed while it was sent")
                    }
                    try await writer.write(chunk)
                    offset += count
                }
                try await writer.write(ByteBuffer(string: "\r\n"))
            }
            try await writer.write(ByteBuffer(string: closing))
            try await writer.finish(nil)
        }
        return Response(status: .partialContent, headers: headers, body: body)
    }

    /// The type of a file whose extension names none, from its first bytes (``ContentSniffer``).
    static func sniff(_ path: String, size: Int) async -> String {
        let count = min(ContentSniffer.window, size)
        let head = await onPool { FileRanges(path: path)?.read(at: 0, count: count) }
        return ContentSniffer.type(of: head?.readableBytesView ?? ByteBuffer().readableBytesView)
    }

    /// A multipart boundary as Go's `mime/multipart` makes one: 30 random bytes in hex.
    static func boundary() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<30).map { _ in String(UInt8.random(in: 0...255, using: &generator), radix: 16).leftPadded }.joined()
    }

    private func listing(_ directory: String, _ request: Request) async -> Response {
        let names = await Self.onPool { () -> [String]? in DirectoryListing.names(directory) }
        guard let names else { return .plainText(.internalServerError, "Error reading directory") }
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        let html = DirectoryListing.html(names)
        headers[.contentLength] = String(html.utf8.count)
        if request.method == .head { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    // MARK: - Lookup

    struct FileInfo: Sendable {
        let size: Int
        /// Unix seconds.
        let modified: Int
    }

    enum Found: Sendable {
        case missing
        case file(String, FileInfo)
        /// A directory and its `index.html`, when it has one.
        case directory(String, index: FileInfo?)
    }

    /// What `path` (a decoded volume path without `..`) names under `root`, symbolic links resolved and
    /// confined to the root (one that leads outside is missing). Runs on the thread pool.
    static func lookup(_ path: String, root: String) async -> Found {
        await onPool { () -> Found in
            do throws(WippyError) {
                let virtual = try FSPath.virtual(path)
                let real = try FSPath.real(virtual, root: root)
                guard let info = DirectoryListing.status(real) else { return .missing }
                if !info.directory { return .file(real, FileInfo(size: info.size, modified: info.modified)) }
                let index = try FSPath.real(virtual == "/" ? "/index.html" : virtual + "/index.html", root: root)
                if let indexInfo = DirectoryListing.status(index), !indexInfo.directory {
                    return .directory(real, index: FileInfo(size: indexInfo.size, modified: indexInfo.modified))
                }
                return .directory(real, index: nil)
            } catch {
                return .missing
            }
        }
    }

    static func onPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        do {
            return try await NIOThreadPool.singleton.runIfActive(work)
        } catch {
            return work()
        }
    }

    // MARK: - Paths

    /// Percent-decodes a URL path; `nil` for a bad escape or bytes that are not UTF-8.
    static func percentDecode(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? ""
    }

    /// Go's relative redirect (301), query kept.
    private static func redirect(_ location: String, _ request: Request) -> Response {
        var target = location
        if let query = request.uri.query, !query.isEmpty { target += "?" + query }
        var headers = HTTPFields()
        headers[.location] = target
        return Response(status: .movedPermanently, headers: headers)
    }
}
