import Testing

@Suite struct CommandLineTests {
    @Test func runListShowsCommands() async throws {
        let run = try await WippyBinary.run(["run", "list"], in: WippyBinary.fixture("echo"))
        #expect(run.stdout == "Available commands:\n  echo  Echo lines from stdin  (app:echo)\nRun with: wippy run <command>\n")
    }

    @Test func unknownCommandIsAnError() async throws {
        let run = try await WippyBinary.run(["run", "nosuch"], in: WippyBinary.fixture("echo"))
        #expect(run.status == 1)
        #expect(run.stderr.contains("command \"nosuch\" not found"))
    }

    @Test func helpExplainsRun() async throws {
        let run = try await WippyBinary.run(["run", "--help"], in: "/")
        #expect(run.status == 0)
        #expect(run.stdout.contains("--exec"))
        #expect(run.stdout.contains("wippy run list"))
        let top = try await WippyBinary.run(["--help"], in: "/")
        #expect(top.stdout.contains("init"))
        #expect(top.stdout.contains("run"))
    }

    @Test func initWritesALockFileAndAStarterAppThatRuns() async throws {
        let project = try TemporaryProject(files: [:], lock: false)
        let initRun = try await WippyBinary.run(["init"], in: project.root)
        #expect(initRun.status == 0)
        let hello = try await WippyBinary.run(["run", "hello"], in: project.root)
        #expect(hello.status == 0)
        #expect(hello.stdout.contains("Hello"))
    }

    @Test func listingCommandsWithoutALockFileSaysWhatItExpected() async throws {
        let project = try TemporaryProject(files: [:], lock: false)
        let run = try await WippyBinary.run(["run", "list"], in: project.root)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("Error: no lock file wippy.lock in "), "\(run.stderr)")
    }
}
