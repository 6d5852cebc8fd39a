import Foundation
import Testing
import WippyTypedLua

/// Every translation must be valid Lua 5.4: `luac5.4 -p` accepts the S-case outputs and larger programs.
@Suite struct LuacValidationTests {
    @Test func luacIsInstalled() {
        #expect(Luac.isAvailable, "\(Luac.missingMessage)")
    }

    @Test("strip-case output parses with luac5.4", arguments: StripCases.all)
    func stripCaseOutputParses(_ stripCase: StripCases.Case) throws {
        try #require(Luac.isAvailable, "\(Luac.missingMessage)")
        let output = try TypedLua.translate(Array(stripCase.input.utf8), chunkName: stripCase.id)
        let problem = try Luac.check(output, name: stripCase.id)
        #expect(problem == nil, "\(problem ?? "")\n\(String(decoding: output, as: UTF8.self))")
    }

    @Test("realistic program output parses with luac5.4", arguments: RealisticPrograms.all.map(\.name))
    func realisticProgramParses(_ name: String) throws {
        try #require(Luac.isAvailable, "\(Luac.missingMessage)")
        let source = try #require(RealisticPrograms.all.first { $0.name == name }).source
        let output = try TypedLua.translate(Array(source.utf8), chunkName: name)
        let problem = try Luac.check(output, name: name)
        #expect(problem == nil, "\(problem ?? "")")
    }

    @Test func crlfProgramParses() throws {
        try #require(Luac.isAvailable, "\(Luac.missingMessage)")
        let source = RealisticPrograms.workerProcess.replacingOccurrences(of: "\n", with: "\r\n")
        let output = try TypedLua.translate(Array(source.utf8), chunkName: "crlf")
        #expect(try Luac.check(output, name: "crlf") == nil)
    }

    @Test func luacLineNumbersMatchTheOriginalSource() throws {
        // A statement appended after a translated 4-line chunk must be reported on line 5 by luac.
        try #require(Luac.isAvailable, "\(Luac.missingMessage)")
        let output = try TypedLua.translate(
            Array("type A = {\n  x: number,\n}\nlocal y: number = 1\n".utf8), chunkName: "lines")
        let broken = output + Array("x = = 1\n".utf8)
        let problem = try #require(try Luac.check(broken, name: "lines"))
        #expect(problem.contains(":5:"), "\(problem)")
    }
}
