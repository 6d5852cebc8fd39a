#if canImport(Glibc)
import Glibc
#endif

/// Runs one test of this test binary in a child process, alone, and reports its exit status and output.
///
/// Memory measurements use it: in a shared test process other suites allocate concurrently, so a growth of
/// the resident set there says nothing; in a child running a single test it is the test's own.
enum ChildTestRun {
    static let variable = "WIPPY_ISOLATED_TEST"

    /// True inside the child.
    static var isChild: Bool { getenv(variable) != nil }

    static func run(test name: String, timeout: Duration = .seconds(300)) async throws -> (status: Int32, output: String) {
        let output = "/tmp/wippy-child-test-\(getpid())-\(name.hashValue & 0xffff).log"
        defer { unlink(output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["/proc/self/exe", "--testing-library", "swift-testing", "--filter", name]
        var environment = ["\(variable)=1"]
        if let path = getenv("PATH") { environment.append("PATH=" + String(cString: path)) }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        guard posix_spawn(&child, "/proc/self/exe", &actions, nil, argv, envp) == 0 else {
            return (-1, "posix_spawn failed")
        }
        var status: Int32 = 0
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while waitpid(child, &status, WNOHANG) != child {
            if clock.now > deadline {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return (status, read(output))
    }

    private static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
