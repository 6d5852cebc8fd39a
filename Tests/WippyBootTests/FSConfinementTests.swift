import Foundation
import Testing
import WippyCore
import WippyResources
import WippyTestSupport

/// `fs.directory` confinement (lua-api-io §7.4): no path, `..` or symbolic link leaves the root — each
/// escape tried on a real directory — and the tokenizer behind `f:scanner`.
@Suite struct FSConfinementTests {
    /// A root directory with a file, plus a directory outside it holding a secret; removed when the test
    /// process exits.
    final class Sandbox {
        let base: String
        let root: String
        let outside: String

        init() throws {
            base = TemporaryPaths.unique("wippy-fs-")
            root = base + "/root"
            outside = base + "/outside"
            try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
            try Data("inside".utf8).write(to: URL(fileURLWithPath: root + "/sub/file.txt"))
            try Data("secret".utf8).write(to: URL(fileURLWithPath: outside + "/secret.txt"))
        }

        func link(_ name: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
        }

        func directory(mode: Int = 0o755) throws -> FSDirectory {
            try FSDirectory(id: EntryID(namespace: "app", name: "files"), path: root, autoInit: false, mode: mode)
        }
    }

    func kind(_ body: () throws -> Void) -> ErrorKind? {
        do {
            try body()
            return nil
        } catch let error as WippyError {
            return error.kind
        } catch {
            return nil
        }
    }

    @Test func volumePathsStayUnderTheRoot() throws {
        #expect(try FSPath.virtual("a/b") == "/a/b")
        #expect(try FSPath.virtual("../../etc/passwd") == "/etc/passwd")
        #expect(try FSPath.virtual("/../x/./y//z/..") == "/x/y")
        #expect(try FSPath.virtual("..", cwd: "/sub") == "/")
        #expect(try FSPath.virtual("f", cwd: "/sub") == "/sub/f")
        #expect(kind { _ = try FSPath.virtual("") } == .invalid)
        #expect(kind { _ = try FSPath.virtual("a\u{0}b") } == .invalid)
    }

    @Test func absoluteAndDotDotPathsReadInsideTheRoot() throws {
        let sandbox = try Sandbox()
        let directory = try sandbox.directory()
        // The real /etc/passwd exists; through the volume it is <root>/etc/passwd, which does not.
        #expect(kind { _ = try directory.readFile("/etc/passwd") } == .notFound)
        #expect(kind { _ = try directory.readFile("../../../../etc/passwd") } == .notFound)
        #expect(kind { _ = try directory.readFile("../outside/secret.txt") } == .notFound)
        #expect(try directory.readFile("/sub/../sub/file.txt") == Array("inside".utf8))
        try directory.writeFile("../../escaped.txt", Array("x".utf8))
        #expect(FileManager.default.fileExists(atPath: sandbox.root + "/escaped.txt"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.base + "/escaped.txt"))
    }

    @Test func symbolicLinksThatLeaveAreRefused() throws {
        let sandbox = try Sandbox()
        try sandbox.link("out", to: sandbox.outside)  // a symlinked parent
        try sandbox.link("secret.txt", to: sandbox.outside + "/secret.txt")  // the file itself
        try sandbox.link("relative", to: "../outside")  // relative target
        try sandbox.link("dangling", to: sandbox.outside + "/missing/x")
        try sandbox.link("inner", to: "sub")  // stays inside: allowed
        let directory = try sandbox.directory()
        #expect(kind { _ = try directory.readFile("out/secret.txt") } == .permissionDenied)
        #expect(kind { _ = try directory.readFile("secret.txt") } == .permissionDenied)
        #expect(kind { _ = try directory.readFile("relative/secret.txt") } == .permissionDenied)
        #expect(kind { try directory.writeFile("out/new.txt", Array("x".utf8)) } == .permissionDenied)
        #expect(kind { try directory.writeFile("dangling", Array("x".utf8)) } == .permissionDenied)
        #expect(kind { try directory.makeDirectory("out/newdir") } == .permissionDenied)
        #expect(kind { _ = try directory.readDirectory("out") } == .permissionDenied)
        #expect(kind { _ = try directory.status("relative") } == .permissionDenied)
        #expect(kind { _ = try directory.directoryPath("out") } == .permissionDenied)
        #expect(kind { try directory.remove("out/secret.txt") } == .permissionDenied)
        #expect(!FileManager.default.fileExists(atPath: sandbox.outside + "/new.txt"))
        // Removing a link removes the link, not what it points to.
        try directory.remove("secret.txt")
        try directory.remove("out")
        #expect(FileManager.default.fileExists(atPath: sandbox.outside + "/secret.txt"))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: sandbox.root + "/out")) == nil)
        #expect(try directory.readFile("inner/file.txt") == Array("inside".utf8))
    }

    @Test func rootSymlinkedItselfIsResolvedOnce() throws {
        let sandbox = try Sandbox()
        let alias = sandbox.base + "/alias"
        try FileManager.default.createSymbolicLink(atPath: alias, withDestinationPath: sandbox.root)
        let directory = try FSDirectory(id: EntryID(namespace: "app", name: "a"), path: alias, autoInit: false)
        #expect(try directory.readFile("sub/file.txt") == Array("inside".utf8))
    }

    @Test func operationsAndTheirErrors() throws {
        let sandbox = try Sandbox()
        let directory = try sandbox.directory()
        try directory.writeFile("a.txt", Array("one".utf8))
        try directory.writeFile("a.txt", Array("two".utf8), mode: .append)
        #expect(try directory.readFile("a.txt") == Array("onetwo".utf8))
        #expect(kind { try directory.writeFile("a.txt", [1], mode: .exclusive) } == .alreadyExists)
        #expect(try directory.exists("a.txt"))
        #expect(try !directory.exists("nope.txt"))
        #expect(kind { _ = try directory.isDirectory("nope") } == .notFound)
        #expect(try directory.isDirectory("sub"))
        try directory.makeDirectory("made")
        #expect(kind { try directory.makeDirectory("made") } == .alreadyExists)
        #expect(kind { try directory.makeDirectory("x/y/z") } == .notFound)
        #expect(kind { try directory.remove("sub") } == .invalid)  // not empty
        #expect(kind { try directory.remove("/") } == .invalid)
        try directory.remove("made")
        let info = try directory.status("a.txt")
        #expect(info.size == 6 && !info.isDirectory && info.name == "a.txt" && info.mode == 0o644)
        #expect(Set(try directory.readDirectory("/").map(\.name)) == ["sub", "a.txt"])
        #expect(kind { _ = try directory.open("sub", mode: .read) } == .invalid)
        let readOnly = try sandbox.directory(mode: 0o555)
        #expect(kind { try readOnly.writeFile("b.txt", [1]) } == .permissionDenied)
        #expect(try readOnly.readFile("a.txt") == Array("onetwo".utf8))
        #expect(kind { _ = try FSDirectory(id: EntryID(namespace: "app", name: "m"), path: sandbox.base + "/missing", autoInit: false) } == .notFound)
        let made = try FSDirectory(id: EntryID(namespace: "app", name: "m"), path: sandbox.base + "/made/deep", autoInit: true)
        #expect(made.root.hasSuffix("/made/deep"))
    }

    @Test func scannerSplits() {
        func tokens(_ split: FSScanner.Split, _ chunks: [String]) -> [String] {
            var scanner = FSScanner(split: split)
            var result: [String] = []
            for chunk in chunks {
                scanner.feed(Array(chunk.utf8))
                while let token = scanner.next() { result.append(String(decoding: token, as: UTF8.self)) }
            }
            scanner.finish()
            while let token = scanner.next() { result.append(String(decoding: token, as: UTF8.self)) }
            return result
        }
        #expect(tokens(.lines, ["a\nb", "c\r\n\nlast"]) == ["a", "bc", "", "last"])
        #expect(tokens(.lines, ["x\n"]) == ["x"])
        #expect(tokens(.words, ["  hello wo", "rld\t!  "]) == ["hello", "world", "!"])
        #expect(tokens(.bytes, ["ab"]) == ["a", "b"])
        #expect(tokens(.runes, ["h\u{E9}", "\u{1F600}"]) == ["h", "\u{E9}", "\u{1F600}"])
        // A character split across chunks waits for its second half.
        var scanner = FSScanner(split: .runes)
        scanner.feed([0xC3])
        #expect(scanner.next() == nil)
        scanner.feed([0xA9])
        #expect(scanner.next() == [0xC3, 0xA9])
    }
}
