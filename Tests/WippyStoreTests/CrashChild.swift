import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One test of this test binary re-run in a child process that the parent can kill at any moment.
///
/// The child sees ``variable`` set to an argument (here: a database path); its standard output and error go
/// to a log file the parent reads while it runs.
final class CrashChild {
    static let variable = "WIPPY_CRASH_CHILD"

    /// The argument given to the child, inside the child.
    static var argument: String? { getenv(variable).map { String(cString: $0) } }

    /// Inside the child: its parent when it started.
    static let parent = getppid()

    /// Inside the child: false once the parent test process is gone (the child was re-parented), or after
    /// `bound` — a generous one: a parent starved by a loaded full suite may take long to come and kill it,
    /// and a child that ended on its own fails the parent's test.
    static func parentWaits(since start: ContinuousClock.Instant, bound: Duration = .seconds(600)) -> Bool {
        getppid() == parent && ContinuousClock.now - start < bound
    }

    let pid: pid_t
    let log: String
    private var reaped = false

    /// Starts the test `name` alone in a child with `argument`.
    init(test name: String, argument: String, log: String) throws {
        self.log = log
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = ["/proc/self/exe", "--testing-library", "swift-testing", "--filter", name]
        var environment = ["\(CrashChild.variable)=\(argument)"]
        if let path = getenv("PATH") { environment.append("PATH=" + String(cString: path)) }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, "/proc/self/exe", &actions, nil, argv, envp)
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO) }
        pid = child
    }

    /// What the child printed so far.
    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Whether the child is still running (reaps it when it has ended).
    var isRunning: Bool {
        guard !reaped else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { reaped = true }
        return !reaped
    }

    /// SIGKILL, then waits for the child to be gone.
    func kill() {
        guard !reaped else { return }
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        reaped = true
    }

    deinit { kill() }
}
