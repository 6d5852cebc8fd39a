import Foundation
import Testing

/// End-to-end: the real `wippy` binary on small apps, checking exact output.
@Suite struct ExampleAppTests {
    @Test func helloWorldAsCommandAndExec() async throws {
        let dir = WippyBinary.fixture("hello")
        let command = try await WippyBinary.run(["run", "hello"], in: dir)
        #expect(command.stdout == "Hello, world!\n")
        #expect(command.stderr == "")
        #expect(command.status == 0)
        let exec = try await WippyBinary.run(["run", "-x", "app:hello", "Wippy"], in: dir)
        #expect(exec.stdout == "Hello, Wippy!\n")
        #expect(exec.status == 0)
    }

    /// An app configured only through `env`: a `.env` file, the OS environment (set here, inherited by the
    /// binary), memory overrides through a router, defaults, a read-only variable, and an `fs.directory`
    /// whose path comes from the `.env` file through a placeholder. `env.set` rewrites the file.
    @Test func appConfiguredThroughEnv() async throws {
        setenv("WIPPY_FIXTURE_GREETING", "hello from the OS", 1)
        let dir = WippyBinary.fixture("envconfig")
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: dir)
        #expect(run.stdout == """
            app: envconfig
            greeting: hello from the OS
            workers: 4
            port: 8080
            set port: nil PermissionDenied
            log level: info
            log level now: debug
            all has os greeting: true
            data: greetings from the data directory

            """)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let file = try String(contentsOfFile: dir + "/config.env", encoding: .utf8)
        #expect(file == "# settings of the envconfig fixture\nAPP_NAME=renamed\nDATA_DIR=files\nLOG_LEVEL=info\n")
    }

    @Test func functionsCallingFunctions() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: WippyBinary.fixture("functions"))
        #expect(run.stdout == """
            double(21) = 42 (integer)
            quadruple(5) = 20
            divide(7, 2) = 3
            divide(1, 0) = nil, error: division by zero (Invalid)
            ada [math,engines]
            missing: NotFound

            """)
        #expect(run.status == 0)
    }

    @Test func pingPongBetweenServicesFoundByName() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:client", "500"], in: WippyBinary.fixture("pingpong"))
        #expect(run.stdout == "done after 500 round trips\n")
        #expect(run.status == 0)
    }

    @Test func workerPoolOverChannels() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:pool"], in: WippyBinary.fixture("workerpool"))
        #expect(run.stdout == "squares: 1 4 9 16 25 36 49 64 81 100\nsum: 385\nworkers used: 3\n")
        #expect(run.status == 0)
    }

    @Test func manualSupervisorRestartsCrashingWorker() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:supervisor"], in: WippyBinary.fixture("supervisor"))
        #expect(run.stdout == """
            attempt 1 failed: app:worker:3: crash on attempt 1
            attempt 2 failed: app:worker:3: crash on attempt 2
            attempt 3 finished with 42

            """)
        #expect(run.status == 0)
    }

    @Test func multiStagePipeline() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:main"], in: WippyBinary.fixture("pipeline"))
        #expect(run.stdout == "pipeline output: 1004, 1016, 1036, 1064, 1100\n")
        #expect(run.status == 0)
    }

    @Test func keyValueServerWithRequestReply() async throws {
        let run = try await WippyBinary.run(["run", "-x", "app:client"], in: WippyBinary.fixture("kvstore"))
        #expect(run.stdout == """
            get answer -> 42 (integer)
            get name -> wippy
            get list -> [1,2,3]
            keys -> answer,list,name
            delete name -> true
            get name -> nil
            bogus -> error: unknown op bogus

            """)
        #expect(run.status == 0)
    }

    @Test func echoServiceReadingStdin() async throws {
        let run = try await WippyBinary.run(["run", "echo"], in: WippyBinary.fixture("echo"), input: "one\ntwo\r\nthree")
        #expect(run.stdout == "echo: one\necho: two\necho: three\nbye after 3 lines\n")
        #expect(run.status == 0)
    }
}
