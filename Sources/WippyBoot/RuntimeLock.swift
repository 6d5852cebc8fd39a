public import WippyCore
import Synchronization
// `stat` is also declared by Dispatch's C module, which the HTTP server's dependencies bring in: name it.
import Dispatch
#if canImport(CDispatch)
import CDispatch
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One runtime per project: an exclusive `flock` on `<project>/.wippy/runtime.lock`, held for the life of the
/// runtime (the system drops it when the process ends, however it ends, so a crash leaves no stale lock).
///
/// The holder writes who it is into the file (PID, mode, command line), so whoever finds the lock taken can
/// say by whom. What happens then depends on the mode:
/// - `serve` (`wippy run`, the long-running application) refuses to start: a second copy would run every
///   service twice and both would write the registry history.
/// - `exec` (`wippy run -x ...` and commands, which end by themselves) waits for an `exec` holder to finish,
///   then boots on the history it left (so `-x` runs that change the registry serialize and never write
///   history at the same time), but refuses at once when the holder is a `serve` runtime, which may never
///   end.
/// - maintenance (`wippy registry reset`) refuses while any runtime holds it, and holds it while it works.
///
/// Readers (`wippy status`, `wippy registry list|show`) take no lock.
public final class RuntimeLock: Sendable {
    /// Why the lock is taken.
    public enum Mode: String, Sendable {
        /// `wippy run`: the application runs until stopped.
        case serve
        /// `wippy run -x` or a command: runs one process, then ends.
        case exec
        /// A tool that changes the project's runtime state (`wippy registry reset`).
        case maintenance
    }

    /// Who holds the lock, as the holder wrote it.
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public var pid: Int32?
        public var mode: Mode?
        public var command: String?

        public var description: String {
            var parts: [String] = []
            if let pid { parts.append("pid \(pid)") }
            if let command, !command.isEmpty { parts.append("`\(command)`") }
            return parts.isEmpty ? "another wippy process" : parts.joined(separator: ", ")
        }
    }

    /// The lock file.
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// `<projectRoot>/.wippy/runtime.lock`.
    public static func path(projectRoot: String) -> String {
        (projectRoot.isEmpty ? "." : projectRoot) + "/.wippy/runtime.lock"
    }

    /// Takes the project's lock for a runtime or a tool.
    ///
    /// - Parameters:
    ///   - mode: see ``Mode``: whether to refuse or to wait when the lock is taken.
    ///   - command: the command line, written for whoever finds the lock taken.
    ///   - onWait: called once, before waiting, with the holder (an `exec` waiting for another `exec`).
    /// - Returns: the lock, held until released or the process ends; nil when `projectRoot` is not a
    ///   directory (there is no project to guard; the caller reports that).
    /// - Throws: `AlreadyExists` naming the holder when the lock is taken and `mode` does not wait for it;
    ///   `Invalid` when the lock file cannot be made.
    public static func acquire(
        projectRoot: String, mode: Mode, command: String, onWait: (Holder) -> Void = { _ in }
    ) throws(WippyError) -> RuntimeLock? {
        var info = stat()
        guard stat(projectRoot.isEmpty ? "." : projectRoot, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { return nil }
        let path = path(projectRoot: projectRoot)
        let directory = String(path.dropLast("/runtime.lock".count))
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw WippyError.invalid("cannot create \(directory) for the runtime lock: \(String(cString: strerror(errno)))")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw WippyError.invalid("cannot open the runtime lock \(path): \(String(cString: strerror(errno)))")
        }
        let lock = RuntimeLock(path: path, descriptor: descriptor)
        if try lock.take(blocking: false) {
            lock.record(mode: mode, command: command)
            return lock
        }
        let holder = RuntimeLock.readHolder(path)
        guard mode == .exec, holder.mode != .serve, holder.mode != .maintenance else {
            throw RuntimeLock.refusal(holder, mode: mode, path: path)
        }
        onWait(holder)
        _ = try lock.take(blocking: true)
        lock.record(mode: mode, command: command)
        return lock
    }

    /// Who holds the project's lock now, or nil when nobody does (or there is no lock file).
    public static func holder(projectRoot: String) -> Holder? {
        let path = path(projectRoot: projectRoot)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(descriptor, LOCK_UN)
            return nil
        }
        return readHolder(path)
    }

    /// Keeps the lock until the process ends (a command that exits without returning holds it to the end).
    public func keepUntilExit() {
        RuntimeLock.kept.withLock { $0.append(self) }
    }

    private static let kept = Mutex<[RuntimeLock]>([])

    /// Lets go of the lock (it is also let go when the process ends).
    public func release() {
        _ = ftruncate(descriptor, 0)
        _ = flock(descriptor, LOCK_UN)
    }

    /// `flock`: true when taken, false when held elsewhere (non-blocking only).
    private func take(blocking: Bool) throws(WippyError) -> Bool {
        while true {
            if flock(descriptor, LOCK_EX | (blocking ? 0 : LOCK_NB)) == 0 { return true }
            switch errno {
            case EINTR: continue
            case EWOULDBLOCK: return false
            default: throw WippyError.invalid("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    private func record(mode: Mode, command: String) {
        let text = "pid=\(getpid())\nmode=\(mode.rawValue)\ncommand=\(command.replacingNewlines)\n"
        _ = ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    private static func readHolder(_ path: String) -> Holder {
        var holder = Holder()
        guard let file = fopen(path, "r") else { return holder }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        while fgets(&buffer, Int32(buffer.count), file) != nil {
            let line = String(cString: buffer).trimmingNewline
            guard let equals = line.firstIndex(of: "=") else { continue }
            let value = String(line[line.index(after: equals)...])
            switch line[..<equals] {
            case "pid": holder.pid = Int32(value)
            case "mode": holder.mode = Mode(rawValue: value)
            case "command": holder.command = value
            default: break
            }
        }
        return holder
    }

    private static func refusal(_ holder: Holder, mode: Mode, path: String) -> WippyError {
        let what = holder.mode == .maintenance ? "a wippy tool is changing this project's runtime state" : "a wippy runtime is already running in this project"
        let advice: String
        switch mode {
        case .serve: advice = "stop it before starting another (one runtime per project)"
        case .exec: advice = "this run would start its services a second time; stop it first (-x runs wait only for other -x runs)"
        case .maintenance: advice = "stop it first"
        }
        return WippyError("\(what) (\(holder); lock \(path)): \(advice)", kind: .alreadyExists, retryable: false)
    }
}

extension String {
    fileprivate var replacingNewlines: String { split(whereSeparator: \.isNewline).joined(separator: " ") }

    fileprivate var trimmingNewline: String {
        var text = Substring(self)
        while text.last == "\n" || text.last == "\r" { text = text.dropLast() }
        return String(text)
    }
}
