import Foundation
// vapor/multipart-kit's `MultipartParser` is a push parser: it takes the body chunk by chunk as it arrives
// and reports headers and body bytes per part, which is what spilling a large file to disk while it
// arrives needs (its `FormDataDecoder` would collect everything in memory first).
import MultipartKit
import NIOCore
public import WippyCore

/// One uploaded file of a `multipart/form-data` body (lua-api-io §2.2 `MultipartFile`): in memory, or in
/// a temporary file once the form passed its `max_memory` (removed when the exchange finishes).
public final class MultipartFile: Sendable {
    public enum Storage: Sendable {
        case memory([UInt8])
        case file(String)
    }

    public let field: String
    public let filename: String
    /// The part's header fields (names as sent).
    public let headers: [(String, String)]
    public let size: Int
    public let storage: Storage

    init(field: String, filename: String, headers: [(String, String)], size: Int, storage: Storage) {
        self.field = field
        self.filename = filename
        self.headers = headers
        self.size = size
        self.storage = storage
    }

    /// The first value of header `name` (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? { headers.first { $0.0.equalsIgnoringCase(name) }?.1 }

    /// The content as a stream (read from the temporary file in 64 KiB pieces when it spilled).
    public func openStream() -> RequestBodyStream {
        switch storage {
        case .memory(let bytes):
            let box = OneShot(bytes)
            return RequestBodyStream(size: size) { box.take() }
        case .file(let path):
            let reader = FileReader(path: path)
            return RequestBodyStream(size: size) { try reader.next() }
        }
    }

    final class OneShot: @unchecked Sendable {
        var bytes: [UInt8]?
        init(_ bytes: [UInt8]) { self.bytes = bytes.isEmpty ? nil : bytes }
        func take() -> [UInt8]? {
            defer { bytes = nil }
            return bytes
        }
    }

    /// Reads a file piece by piece (on the reading task; the file is local and small reads are short).
    final class FileReader: @unchecked Sendable {
        let path: String
        var handle: FileHandle?
        var ended = false

        init(path: String) { self.path = path }

        func next() throws -> [UInt8]? {
            if ended { return nil }
            if handle == nil { handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)) }
            guard let data = try handle?.read(upToCount: 65536), !data.isEmpty else {
                ended = true
                try? handle?.close()
                return nil
            }
            return Array(data)
        }
    }
}

/// A parsed `multipart/form-data` body: field values in order, and files.
public struct MultipartForm: Sendable {
    public var values: [(String, String)] = []
    public var files: [MultipartFile] = []
    /// Temporary files holding spilled parts.
    public var temporaryFiles: [String] = []

    /// The boundary parameter of a `multipart/form-data` content type, or `nil`.
    public static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == "boundary" else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            return value.isEmpty ? nil : value
        }
        return nil
    }

    /// Parses chunks as they come (`next` returns `nil` at the end). Values and in-memory files count
    /// toward `maxMemory`; a file part that would pass it goes to a temporary file, as do the parts after.
    static func parse(boundary: String, maxMemory: Int, next: () async throws -> [UInt8]?) async throws -> MultipartForm {
        let builder = Builder(maxMemory: maxMemory)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in builder.header(name, value) }
        parser.onBody = { buffer in builder.body(buffer.readBytes(length: buffer.readableBytes) ?? []) }
        parser.onPartComplete = { builder.complete() }
        do {
            while let chunk = try await next() {
                try parser.execute(chunk)
                if let failure = builder.failure { throw failure }
            }
            guard builder.sawPart else { throw WippyError.internal("multipart: no parts (is the boundary right?)") }
        } catch {
            builder.removeFiles()
            throw error
        }
        return builder.form
    }

    /// Collects parts as the parser reports them (the parser's callbacks run synchronously on the parsing
    /// task, one at a time).
    final class Builder {
        let maxMemory: Int
        var form = MultipartForm()
        var memory = 0
        var headers: [(String, String)] = []
        var bytes: [UInt8] = []
        var file: (path: String, handle: FileHandle)?
        var size = 0
        var sawPart = false
        var failure: (any Error)?

        init(maxMemory: Int) { self.maxMemory = maxMemory }

        func header(_ name: String, _ value: String) { headers.append((name, value)) }

        var disposition: (name: String?, filename: String?) {
            guard let value = headers.first(where: { $0.0.equalsIgnoringCase("Content-Disposition") })?.1 else { return (nil, nil) }
            var name: String?
            var filename: String?
            for parameter in value.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                var text = pair[1].trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
                switch pair[0].trimmingCharacters(in: .whitespaces).lowercased() {
                case "name": name = text
                case "filename": filename = text
                default: break
                }
            }
            return (name, filename)
        }

        func body(_ chunk: [UInt8]) {
            size += chunk.count
            if let file {
                file.handle.write(Data(chunk))
                return
            }
            bytes += chunk
            if disposition.filename != nil, memory + bytes.count > maxMemory {
                spill()
            }
        }

        private func spill() {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("wippy-upload-\(UUID().uuidString)").path
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)), let handle = FileHandle(forWritingAtPath: path) else {
                failure = WippyError.internal("multipart: cannot create a temporary file at \(path)")
                return
            }
            handle.seekToEndOfFile()
            form.temporaryFiles.append(path)
            file = (path, handle)
            bytes = []
        }

        func complete() {
            sawPart = true
            let (name, filename) = disposition
            if let filename {
                let storage: MultipartFile.Storage
                if let file {
                    try? file.handle.close()
                    storage = .file(file.path)
                } else {
                    memory += bytes.count
                    storage = .memory(bytes)
                }
                form.files.append(MultipartFile(field: name ?? "", filename: filename, headers: headers, size: size, storage: storage))
            } else if let name {
                memory += bytes.count
                form.values.append((name, String(decoding: bytes, as: UTF8.self)))
            }
            headers = []
            bytes = []
            file = nil
            size = 0
        }

        func removeFiles() {
            try? file?.handle.close()
            for path in form.temporaryFiles { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}
