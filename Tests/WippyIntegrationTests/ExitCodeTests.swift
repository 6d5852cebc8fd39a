import Testing

/// `wippy run -x`: the exit code and output come from the process result.
@Suite struct ExitCodeTests {
    func exec(_ lua: String, _ arguments: [String] = []) async throws -> WippyBinary.Run {
        let project = try TemporaryProject.withMain(lua)
        return try await WippyBinary.run(["run", "-x", "app:main"] + arguments, in: project.root)
    }

    @Test func stringResultIsPrintedOnStdout() async throws {
        let run = try await exec("return { main = function() return 'all good' end }")
        #expect(run.stdout == "all good\n")
        #expect(run.status == 0)
    }

    @Test func integerResultIsTheExitCode() async throws {
        #expect(try await exec("return { main = function() return 7 end }").status == 7)
        #expect(try await exec("return { main = function() return 0 end }").status == 0)
    }

    @Test(arguments: ["256", "-1", "1e10", "1/0", "0/0", "-0.5"])
    func numbersOutsideAByteExitOneWithAMessage(_ value: String) async throws {
        let run = try await exec("return { main = function() return \(value) end }")
        #expect(run.status == 1, "\(value)")
        #expect(run.stderr.contains("is outside 0-255: exiting with 1"), "\(value): \(run.stderr)")
    }

    @Test func fractionsInRangeAreCut() async throws {
        #expect(try await exec("return { main = function() return 3.7 end }").status == 3)
        #expect(try await exec("return { main = function() return 255 end }").status == 255)
    }

    @Test func booleansMapToZeroAndOne() async throws {
        #expect(try await exec("return { main = function() return true end }").status == 0)
        #expect(try await exec("return { main = function() return false end }").status == 1)
    }

    @Test func nilAndTablesExitZero() async throws {
        let run = try await exec("return { main = function() return {1, 2} end }")
        #expect(run.status == 0)
        #expect(run.stdout == "")
    }

    @Test func raisedErrorGoesToStderrWithLine() async throws {
        let run = try await exec("local M = {}\nfunction M.main()\n  local t = nil\n  return t.field\nend\nreturn M")
        #expect(run.status == 1)
        #expect(run.stdout == "")
        #expect(run.stderr.hasPrefix("app:main:4: attempt to index a nil value"))
    }

    @Test func returnedErrorValueFails() async throws {
        let run = try await exec("return { main = function() return nil, 'it broke' end }")
        #expect(run.status == 1)
        #expect(run.stderr == "it broke\n")
    }

    @Test func argumentsArriveAsStrings() async throws {
        let run = try await exec("return { main = function(a, b) return a .. '+' .. b .. ':' .. type(a) end }", ["x", "2"])
        #expect(run.stdout == "x+2:string\n")
    }

    @Test func execNeedsAFullEntryID() async throws {
        let project = try TemporaryProject.withMain("return { main = function() return 0 end }")
        let run = try await WippyBinary.run(["run", "-x", "main"], in: project.root)
        #expect(run.status != 0)
        #expect(run.stderr.contains("app:main"))
    }

    @Test func logsAreQuietUnlessVerbose() async throws {
        let project = try TemporaryProject.withMain("return { main = function() print('from print') return 'done' end }")
        let quiet = try await WippyBinary.run(["run", "-x", "app:main"], in: project.root)
        #expect(quiet.stdout == "done\n")
        let verbose = try await WippyBinary.run(["run", "-v", "-x", "app:main"], in: project.root)
        #expect(verbose.stdout.contains("from print"))
        #expect(verbose.stdout.contains("\"location\": \"app:main:1\""))
        #expect(verbose.stdout.contains("\ndone\n"))
    }
}
