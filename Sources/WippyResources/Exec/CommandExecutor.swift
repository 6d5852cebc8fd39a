public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// An `exec.*` entry's resource: what `exec.get(id)` acquires and `executor:exec(cmd, opts)` asks for a
/// child process (not started).
public protocol CommandExecutor: Resource {
    /// A child for `command`; `workDir` (absolute, or relative to the executor's default directory) and
    /// `environment` (added to the executor's default environment) come from the call.
    ///
    /// - Throws: `Invalid` for an empty or not allowed command; `Unavailable` when the executor cannot run
    ///   anything here.
    func prepare(command: String, workDir: String?, environment: [String: String]) throws(WippyError) -> ChildProcess
}

/// `exec.native`: commands run on this machine by `/bin/sh -c`, with a clean environment plus
/// `default_env` (and the call's `env`), in `default_work_dir` unless the call names another, and only
/// the commands of `command_whitelist` when it is not empty (exact match).
public final class NativeExecutor: CommandExecutor {
    public let kind = "exec.native"
    public let id: EntryID
    public let defaultWorkDir: String?
    public let defaultEnvironment: [String: String]
    public let whitelist: Set<String>

    public init(id: EntryID, defaultWorkDir: String?, defaultEnvironment: [String: String], whitelist: Set<String>) {
        self.id = id
        self.defaultWorkDir = defaultWorkDir
        self.defaultEnvironment = defaultEnvironment
        self.whitelist = whitelist
    }

    public func close() {}

    public func prepare(command: String, workDir: String?, environment: [String: String]) throws(WippyError) -> ChildProcess {
        guard !command.isEmpty else { throw WippyError.invalid("command is empty") }
        guard !command.utf8.contains(0) else { throw WippyError.invalid("command contains a NUL byte") }
        guard whitelist.isEmpty || whitelist.contains(command) else {
            throw WippyError.invalid("command not allowed by \(id) (command_whitelist): \(command)")
        }
        var directory = defaultWorkDir
        if let workDir, !workDir.isEmpty {
            if workDir.hasPrefix("/") {
                directory = workDir
            } else {
                directory = (defaultWorkDir ?? ".") + "/" + workDir
            }
        }
        return ChildProcess(
            command: command, workDir: directory, environment: defaultEnvironment.merging(environment) { _, call in call })
    }
}

/// `exec.docker`: commands in containers. This runtime has no Docker client: using it fails with
/// `Unavailable`, saying whether a daemon answers at `host` at all.
public final class DockerExecutor: CommandExecutor {
    public let kind = "exec.docker"
    public let id: EntryID
    public let image: String
    /// The daemon's address (`unix:///var/run/docker.sock` by default).
    public let host: String

    public init(id: EntryID, image: String, host: String?) {
        self.id = id
        self.image = image
        self.host = host ?? "unix:///var/run/docker.sock"
    }

    public func close() {}

    public func prepare(command: String, workDir: String?, environment: [String: String]) throws(WippyError) -> ChildProcess {
        guard !command.isEmpty else { throw WippyError.invalid("command is empty") }
        if let reason = DockerExecutor.unreachable(host) {
            throw WippyError.unavailable("\(id) (exec.docker): no Docker daemon answers at \(host): \(reason)")
        }
        throw WippyError.unavailable(
            "\(id) (exec.docker): running commands in Docker containers is not supported by this runtime yet (use exec.native)")
    }

    /// Why nothing answers at `host` (a unix socket is tried; other addresses are not), nil when it answers.
    static func unreachable(_ host: String) -> String? {
        guard host.hasPrefix("unix://") else { return "only unix:// daemon addresses can be checked" }
        let path = String(host.dropFirst(7))
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        defer { Glibc.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return "socket path too long" }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return connected == 0 ? nil : String(cString: strerror(errno))
    }
}
