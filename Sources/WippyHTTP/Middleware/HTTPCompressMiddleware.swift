import CompressNIO
public import Hummingbird
public import HummingbirdCore
public import HTTPTypes
import NIOCore
import Synchronization
public import WippyCore

/// `compress` (lua-api-io §1.5): gzip of the response when the client accepts it (`Accept-Encoding: gzip`)
/// and the body is at least `compress.min.length` bytes (a body of unknown length, a stream, is compressed
/// as it goes, each chunk flushed so events still arrive when written).
public struct HTTPCompressMiddleware: HTTPMiddleware {
    public let level: Int32
    public let minLength: Int

    public init(level: Int32 = -1, minLength: Int = 1024) {
        self.level = level
        self.minLength = minLength
    }

    public init(options: HTTPMiddlewareOptions) throws(WippyError) {
        let level: Int32
        switch options.string("compress.level")?.lowercased() ?? "default" {
        case "fastest": level = 1
        case "default", "": level = -1
        case "best": level = 9
        case let other: throw WippyError.invalid("option 'compress.level' must be fastest, default or best (got \"\(other)\")")
        }
        self.init(level: level, minLength: try options.int("compress.min.length", "compress.min_length", default: 1024))
    }

    public func handle(_ request: Request, context: HTTPRequestContext, next: HTTPNext) async throws -> Response {
        guard Self.acceptsGzip(request.headers[values: .acceptEncoding]) else { return try await next(request, context) }
        var response = try await next(request, context)
        if request.method == .head || response.status == .noContent || response.status == .notModified
            || response.status.code < 200 || response.headers[.contentEncoding] != nil || response.status == .partialContent
        {
            return response
        }
        if let length = response.body.contentLength, length < minLength { return response }
        let body = response.body
        let level = level
        response.headers[.contentEncoding] = "gzip"
        response.headers.append(HTTPField(name: .vary, value: "Accept-Encoding"))
        // A body of known, moderate length (a handler's buffered reply) is compressed whole: one write, with
        // its Content-Length. Anything else streams.
        if let length = body.contentLength, length <= Self.wholeLimit {
            var collected = ByteBuffer()
            collected.reserveCapacity(length)
            let collector = CollectingBodyWriter()
            try await body.write(collector)
            collected.writeBytes(collector.sink.bytes.withLock { $0 })
            var compressed = try collected.compress(with: .gzip(configuration: .init(compressionLevel: level)))
            response.headers[.contentLength] = String(compressed.readableBytes)
            response.body = ResponseBody(byteBuffer: compressed.readSlice(length: compressed.readableBytes) ?? ByteBuffer())
            return response
        }
        response.headers[.contentLength] = nil
        response.body = ResponseBody { writer in
            let compressor = CompressionAlgorithm.gzip(configuration: .init(compressionLevel: level)).compressor
            try compressor.startStream()
            defer { try? compressor.finishStream() }
            try await body.write(GzipBodyWriter(parent: writer, compressor: compressor))
        }
        return response
    }

    /// The largest known-length body compressed in one piece (bigger ones stream, memory bounded).
    static let wholeLimit = 4 << 20

    /// Whether an `Accept-Encoding` list accepts gzip (not with `q=0`).
    static func acceptsGzip(_ values: [String]) -> Bool {
        for value in values {
            for item in value.split(separator: ",") {
                let parts = item.split(separator: ";").map { String($0).trimmingCharacters(in: " ").lowercased() }
                guard parts.first == "gzip" || parts.first == "x-gzip" else { continue }
                if parts.dropFirst().contains(where: { $0.replacingOccurrences(" ", "") == "q=0" || $0 == "q=0.0" || $0 == "q=0.000" }) { return false }
                return true
            }
        }
        return false
    }
}

/// Keeps what a body writes (a buffered body of known length).
struct CollectingBodyWriter: ResponseBodyWriter {
    final class Sink: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    let sink = Sink()

    mutating func write(_ buffer: ByteBuffer) async throws { sink.bytes.withLock { $0 += buffer.readableBytesView } }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Compresses what the original body writes and passes it to the real writer.
struct GzipBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let compressor: any NIOCompressor

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard buffer.readableBytes > 0 else { return }
        var input = buffer
        let output = try input.compressStream(with: compressor, flush: .sync)
        try await parent.write(output)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        var empty = ByteBuffer()
        let output = try empty.compressStream(with: compressor, flush: .finish)
        try await parent.write(output)
        try await parent.finish(trailingHeaders)
    }
}

extension String {
    func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
