import Foundation
public import WippyCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A native child process run by `/bin/sh -c <command>` in its own process group, with a clean
/// environment (only what the executor and the call give), an optional working directory, a pipe to its
/// stdin, and its stdout/stderr captured into ``ChildOutput``s when asked for before ``start()``
/// (otherwise they go to `/dev/null`).
///
/// One thread per child reads the pipes and then waits for the exit (`waitpid`): no Lua worker ever waits
/// on it. ``close(force:)`` sends SIGTERM (SIGKILL when forced) to the whole group.
public final class ChildProcess: Sendable {
    public enum Phase: Sendable, Equatable {
        case created
        case running(pid: Int32)
        case exited(code: Int32)
    }

    private struct State {
        var phase = Phase.created
        var stdin: Int32 = -1
        var stdout: ChildOutput?
        var stderr: ChildOutput?
        var exitWaiters: [@Sendable (Int32) -> Void] = []
        var closed = false
    }

    /// Unread output kept per pipe before the child is made to wait.
    static let bufferLimit = 4 << 20

    public let command: String
    public let workDir: String?
    public let environment: [String: String]
    private let state = Mutex(State())

    public init(command: String, workDir: String?, environment: [String: String]) {
        self.command = command
        self.workDir = workDir
        self.environment = environment
    }

    public var phase: Phase { state.withLock { $0.phase } }

    /// The child's stdout (the same object each call). Only output asked for before ``start()`` is kept.
    public func stdout() throws(WippyError) -> ChildOutput { try output(\.stdout, "stdout") }

    public func stderr() throws(WippyError) -> ChildOutput { try output(\.stderr, "stderr") }

    private func output(_ key: WritableKeyPath<State, ChildOutput?>, _ name: String) throws(WippyError) -> ChildOutput {
        let result: ChildOutput? = state.withLock { state in
            if let existing = state[keyPath: key] { return existing }
            guard state.phase == .created else { return nil }
            let made = ChildOutput()
            state[keyPath: key] = made
            return made
        }
        guard let result else { throw WippyError.invalid("\(name) stream must be taken before the process starts") }
        return result
    }

    /// Starts the child.
    ///
    /// - Throws: `Invalid` when already started or closed, `NotFound` for a missing working directory,
    ///   `Internal` when the spawn fails.
    public func start() throws(WippyError) {
        let (stdout, stderr) = try state.withLock { state throws(WippyError) -> (ChildOutput?, ChildOutput?) in
            guard state.phase == .created, !state.closed else { throw WippyError.invalid("process already started or closed") }
            return (state.stdout, state.stderr)
        }
        if let workDir {
            var info = stat()
            guard lstat(workDir, &info) == 0 || errno != ENOENT else {
                throw WippyError.notFound("working directory \(workDir) does not exist")
            }
        }
        var input: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard makePipe(&input) else { throw WippyError.internal("pipe: \(String(cString: strerror(errno)))") }
        if stdout != nil { _ = makePipe(&outPipe) }
        if stderr != nil { _ = makePipe(&errPipe) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        if outPipe[1] >= 0 {
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if errPipe[1] >= 0 {
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var signals = sigset_t()
        sigemptyset(&signals)
        posix_spawnattr_setsigmask(&attributes, &signals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // Without posix_spawn_file_actions_addchdir_np, the shell changes directory itself.
        let arguments =
            workDir.map { ["/bin/sh", "-c", "cd -- \"$1\" || exit 126; eval \"$2\"", "sh", $0, command] } ?? ["/bin/sh", "-c", command]
        let environmentLines = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let spawned = withCStrings(arguments) { argv in
            withCStrings(environmentLines) { envp in posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp) }
        }
        // The child's ends are the child's now.
        for fd in [input[0], outPipe[1], errPipe[1]] where fd >= 0 { Glibc.close(fd) }
        guard spawned == 0 else {
            for fd in [input[1], outPipe[0], errPipe[0]] where fd >= 0 { Glibc.close(fd) }
            throw WippyError.internal("cannot start /bin/sh: \(String(cString: strerror(spawned)))")
        }
        state.withLock { state in
            state.phase = .running(pid: pid)
            state.stdin = input[1]
        }
        let (outRead, errRead, childPID) = (outPipe[0], errPipe[0], pid)
        let thread = Thread { [self] in self.supervise(pid: childPID, out: outRead, err: errRead, stdout: stdout, stderr: stderr) }
        thread.name = "wippy-exec-\(childPID)"
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// The child's thread: reads the pipes until both close, then waits for the exit.
    private func supervise(pid: pid_t, out: Int32, err: Int32, stdout: ChildOutput?, stderr: ChildOutput?) {
        var open: [(fd: Int32, output: ChildOutput)] = []
        if out >= 0, let stdout { open.append((out, stdout)) }
        if err >= 0, let stderr { open.append((err, stderr)) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while !open.isEmpty {
            // Back pressure: a pipe whose unread output passed the limit is not read until the reader
            // catches up (the child then blocks on its full pipe); such pipes are looked at again every 20 ms.
            let active = open.filter { $0.output.buffered < ChildProcess.bufferLimit }
            var polled = active.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&polled, nfds_t(polled.count), active.count < open.count ? 20 : -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            var still = open.filter { item in !active.contains { $0.fd == item.fd } }
            for (index, item) in active.enumerated() {
                guard polled[index].revents != 0 else {
                    still.append(item)
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { Glibc.read(item.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    item.output.append(Array(buffer[0..<count]))
                    still.append(item)
                } else if count < 0 && (errno == EINTR || errno == EAGAIN) {
                    still.append(item)
                } else {
                    Glibc.close(item.fd)
                    item.output.finish()
                }
            }
            open = still
        }
        for item in open {
            Glibc.close(item.fd)
            item.output.finish()
        }
        var status: Int32 = 0
        var code: Int32 = -1
        while true {
            let result = waitpid(pid, &status, 0)
            if result == pid {
                // WIFEXITED / WEXITSTATUS by hand (the macros are not imported); killed by a signal: -1.
                if status & 0x7f == 0 { code = (status >> 8) & 0xff }
                break
            }
            if result < 0 && errno != EINTR { break }
        }
        let waiters = state.withLock { state -> [@Sendable (Int32) -> Void] in
            state.phase = .exited(code: code)
            if state.stdin >= 0 {
                Glibc.close(state.stdin)
                state.stdin = -1
            }
            defer { state.exitWaiters = [] }
            return state.exitWaiters
        }
        for waiter in waiters { waiter(code) }
    }

    /// Calls `callback` with the exit code once the child has exited (at once if it has).
    ///
    /// - Throws: `Invalid` when the child was never started.
    public func whenExited(_ callback: @escaping @Sendable (Int32) -> Void) throws(WippyError) {
        let code = try state.withLock { state throws(WippyError) -> Int32? in
            switch state.phase {
            case .created: throw WippyError.invalid("process is not started")
            case .exited(let code): return code
            case .running:
                state.exitWaiters.append(callback)
                return nil
            }
        }
        if let code { callback(code) }
    }

    /// Writes to the child's stdin (may wait while the pipe is full: call off the Lua workers). Empty data
    /// closes stdin (the child reads the end).
    public func writeStdin(_ bytes: [UInt8]) throws(WippyError) {
        let fd = try state.withLock { state throws(WippyError) -> Int32 in
            guard case .running = state.phase else { throw WippyError.invalid("process is not running") }
            guard state.stdin >= 0 else { throw WippyError.invalid("stdin is closed") }
            if bytes.isEmpty {
                Glibc.close(state.stdin)
                state.stdin = -1
                return -1
            }
            return dup(state.stdin)
        }
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw WippyError.internal("write to stdin: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Sends `signal` to the child's process group.
    public func signal(_ signal: Int32) throws(WippyError) {
        guard case .running(let pid) = phase else { throw WippyError.invalid("process is not running") }
        guard kill(-pid, signal) == 0 || kill(pid, signal) == 0 else {
            throw WippyError.invalid("signal \(signal): \(String(cString: strerror(errno)))")
        }
    }

    /// Ends the child (SIGTERM to its group, SIGKILL when `force`), closes stdin and stops keeping its output.
    /// Idempotent; never waits.
    public func close(force: Bool = false) {
        let (pid, outputs) = state.withLock { state -> (pid_t?, [ChildOutput]) in
            let first = !state.closed
            state.closed = true
            if state.stdin >= 0 {
                Glibc.close(state.stdin)
                state.stdin = -1
            }
            guard first, case .running(let pid) = state.phase else { return (nil, []) }
            return (pid, [state.stdout, state.stderr].compactMap { $0 })
        }
        if let pid { _ = kill(-pid, force ? SIGKILL : SIGTERM) }
        _ = outputs
    }
}

/// A pipe whose two ends are closed on exec (the child gets its ends through dup2).
private func makePipe(_ ends: inout [Int32]) -> Bool {
    guard pipe(&ends) == 0 else { return false }
    _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
    return true
}

/// Runs `body` with a NULL-terminated C array of `strings`.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
