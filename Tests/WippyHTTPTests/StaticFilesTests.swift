import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Testing
import WippyCore
import WippyResources
import WippyTestSupport
@testable import WippyHTTP

/// `http.static` on a real directory: files with their types, index and listings, ranges, 304, SPA
/// fallback, cache header, and paths that try to leave the directory.
@Suite struct StaticFilesTests {
    final class Tree: Sendable {
        let base: String
        let root: String

        init() throws {
            // Removed when the test process exits: the server may still serve from it after the last use.
            base = TemporaryPaths.unique("wippy-static-")
            let fm = FileManager.default
            try fm.createDirectory(atPath: base + "/public/sub", withIntermediateDirectories: true)
            try "<h1>home</h1>".write(toFile: base + "/public/index.html", atomically: true, encoding: .utf8)
            try "console.log('app')".write(toFile: base + "/public/app.js", atomically: true, encoding: .utf8)
            try "nested".write(toFile: base + "/public/sub/file.txt", atomically: true, encoding: .utf8)
            try "Permission is hereby granted\n".write(toFile: base + "/public/LICENSE", atomically: true, encoding: .utf8)
            try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(to: URL(fileURLWithPath: base + "/public/logo"))
            try Data([0x00, 0x01, 0x02, 0xFF]).write(to: URL(fileURLWithPath: base + "/public/blob.bin2"))
            try "TOP SECRET".write(toFile: base + "/secret.txt", atomically: true, encoding: .utf8)
            try fm.createSymbolicLink(atPath: base + "/public/leak.txt", withDestinationPath: base + "/secret.txt")
            try fm.createSymbolicLink(atPath: base + "/public/outside", withDestinationPath: base)
            root = try FSDirectory(id: EntryID(parsing: "app:public"), path: base + "/public", autoInit: false).root
        }

        func files(spa: Bool = false, cache: String? = nil) -> HTTPStaticFiles {
            let root = root
            return HTTPStaticFiles(.init(mount: "/static", spa: spa, index: spa ? "index.html" : nil, cache: cache), root: { root })
        }
    }

    static func get(_ files: HTTPStaticFiles, _ path: String, headers: HTTPFields = [:]) async throws -> (Response, String) {
        let request = MiddlewareTests.request(.get, path, headers: headers)
        let response = await files.respond(to: request, context: MiddlewareTests.context())
        return (response, String(decoding: try await MiddlewareTests.body(response), as: UTF8.self))
    }

    @Test func filesWithoutAKnownExtensionAreTypedByTheirContent() async throws {
        let tree = try Tree()
        let files = tree.files()
        let (license, _) = try await Self.get(files, "/static/LICENSE")
        #expect(license.headers[.contentType] == "text/plain; charset=utf-8")
        let (logo, _) = try await Self.get(files, "/static/logo")
        #expect(logo.headers[.contentType] == "image/png")
        let (blob, _) = try await Self.get(files, "/static/blob.bin2")
        #expect(blob.headers[.contentType] == "application/octet-stream")

        #expect(ContentSniffer.type(of: Array("  <!doctype html><p>x".utf8)) == "text/html; charset=utf-8")
        #expect(ContentSniffer.type(of: Array("<?xml version=\"1.0\"?>".utf8)) == "text/xml; charset=utf-8")
        #expect(ContentSniffer.type(of: Array("%PDF-1.7".utf8)) == "application/pdf")
        #expect(ContentSniffer.type(of: Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == "image/webp")
        #expect(ContentSniffer.type(of: [0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [0, 0, 0, 0] + Array("mp42isom".utf8)) == "video/mp4")
        #expect(ContentSniffer.type(of: Array("<abbr>not a known tag".utf8)) == "text/plain; charset=utf-8")
        #expect(ContentSniffer.type(of: [UInt8]()) == "text/plain; charset=utf-8")
    }

    @Test func servesFilesLikeGoFileServer() async throws {
        let tree = try Tree()
        let files = tree.files(cache: "public, max-age=60")
        let (script, scriptBody) = try await Self.get(files, "/static/app.js")
        #expect(script.status == .ok)
        #expect(scriptBody == "console.log('app')")
        #expect(script.headers[.contentType] == "text/javascript; charset=utf-8")
        #expect(script.headers[.cacheControl] == "public, max-age=60")
        let modified = try #require(script.headers[.lastModified])

        let (index, indexBody) = try await Self.get(files, "/static/")
        #expect(index.status == .ok && indexBody == "<h1>home</h1>")
        #expect(index.headers[.contentType] == "text/html; charset=utf-8")

        let (redirect, _) = try await Self.get(files, "/static/sub")
        #expect(redirect.status == .movedPermanently)
        #expect(redirect.headers[.location] == "sub/")
        let (listing, listingBody) = try await Self.get(files, "/static/sub/")
        #expect(listing.status == .ok)
        #expect(listingBody.contains("<a href=\"file.txt\">file.txt</a>"))

        let (part, partBody) = try await Self.get(files, "/static/app.js", headers: [.range: "bytes=0-6"])
        #expect(part.status == .partialContent)
        #expect(partBody == "console")
        #expect(part.headers[.contentRange] == "bytes 0-6/18")
        let (beyond, _) = try await Self.get(files, "/static/app.js", headers: [.range: "bytes=100-"])
        #expect(beyond.status == .rangeNotSatisfiable)
        #expect(beyond.headers[.contentRange] == "bytes */18")

        // Several ranges: one multipart/byteranges body, each part typed and placed, Content-Length exact.
        let (parts, partsBody) = try await Self.get(files, "/static/app.js", headers: [.range: "bytes=0-6, 12-"])
        #expect(parts.status == .partialContent)
        let type = try #require(parts.headers[.contentType])
        #expect(type.hasPrefix("multipart/byteranges; boundary="))
        let boundary = String(type.dropFirst("multipart/byteranges; boundary=".count))
        #expect(boundary.count == 60)
        let expected = "--\(boundary)\r\nContent-Range: bytes 0-6/18\r\nContent-Type: text/javascript; charset=utf-8\r\n\r\nconsole\r\n"
            + "--\(boundary)\r\nContent-Range: bytes 12-17/18\r\nContent-Type: text/javascript; charset=utf-8\r\n\r\n'app')\r\n"
            + "--\(boundary)--\r\n"
        #expect(partsBody == expected)
        #expect(parts.headers[.contentLength] == String(expected.utf8.count))

        let (notModified, notModifiedBody) = try await Self.get(files, "/static/app.js", headers: [.ifModifiedSince: modified])
        #expect(notModified.status == .notModified && notModifiedBody.isEmpty)
        let (missing, _) = try await Self.get(files, "/static/nope.css")
        #expect(missing.status == .notFound)
    }

    @Test func pathsNeverLeaveTheDirectory() async throws {
        let tree = try Tree()
        let files = tree.files()
        for path in ["/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/sub/%2E%2E/%2e%2e/secret.txt", "/static/..%2fsecret.txt"] {
            let (response, body) = try await Self.get(files, path)
            #expect(response.status == .badRequest, "\(path)")
            #expect(!body.contains("SECRET"))
        }
        for path in ["/static/leak.txt", "/static/outside/secret.txt", "/static/outside/"] {
            let (response, body) = try await Self.get(files, path)
            #expect(response.status == .notFound, "\(path)")
            #expect(!body.contains("SECRET") && !body.contains("secret.txt"))
        }
        // Even in SPA mode the escape gets the index, never the file.
        let (spa, spaBody) = try await Self.get(tree.files(spa: true), "/static/leak.txt")
        #expect(spa.status == .ok && spaBody == "<h1>home</h1>")
    }

    @Test func spaModeAnswersTheIndexForAnythingThatIsNotAFile() async throws {
        let tree = try Tree()
        let files = tree.files(spa: true)
        let (deep, deepBody) = try await Self.get(files, "/static/users/42/settings")
        #expect(deep.status == .ok)
        #expect(deepBody == "<h1>home</h1>")
        #expect(deep.headers[.contentType] == "text/html; charset=utf-8")
        let (asset, assetBody) = try await Self.get(files, "/static/app.js")
        #expect(asset.headers[.contentType] == "text/javascript; charset=utf-8")
        #expect(assetBody == "console.log('app')")
        let (range, rangeBody) = try await Self.get(files, "/static/app.js", headers: [.range: "bytes=-3"])
        #expect(range.status == .partialContent && rangeBody == "p')")
    }
}
