public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// What `stat` reports of a file or directory.
public struct FSStat: Sendable, Equatable {
    public var name: String
    public var size: Int64
    /// The permission bits (`0o644`).
    public var mode: Int
    /// Last modification, Unix seconds.
    public var modified: Int64
    public var isDirectory: Bool

    init(name: String, info: stat) {
        self.name = name
        size = Int64(info.st_size)
        mode = Int(info.st_mode & 0o7777)
        modified = Int64(info.st_mtim.tv_sec)
        isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
    }
}

/// How `writefile` and `open` treat the file.
public enum FSOpenMode: String, Sendable {
    case read = "r"
    case write = "w"
    case exclusive = "wx"
    case append = "a"

    var flags: Int32 {
        switch self {
        case .read: O_RDONLY
        case .write: O_WRONLY | O_CREAT | O_TRUNC
        case .exclusive: O_WRONLY | O_CREAT | O_EXCL
        case .append: O_WRONLY | O_CREAT | O_APPEND
        }
    }
}

/// An `fs.directory` (lua-api-io §7.4): a directory on disk that Lua code reaches only inside its root.
/// Paths are volume paths (``FSPath``): `/` is the root, `..` stops there, and a symbolic link that leads
/// outside is refused with `PermissionDenied`. `mode` restricts what is allowed: without the owner write
/// bit every write is refused; new files get `0644` and new directories `0755`, both within `mode`.
///
/// Every method touches the disk and may wait: callers run them off the Lua workers.
public final class FSDirectory: Resource {
    public let kind = "fs.directory"
    public let id: EntryID
    /// The real path of the root (no symbolic links).
    public let root: String
    public let mode: Int

    /// Opens the directory at `path` (absolute), creating it when `autoInit` is set.
    ///
    /// - Throws: `NotFound` when it does not exist (and `autoInit` is not set), `Invalid` when it is not a directory.
    public init(id: EntryID, path: String, autoInit: Bool, mode: Int = 0o755) throws(WippyError) {
        self.id = id
        self.mode = mode
        var info = Glibc.stat()
        if fileStatus(path, &info) != 0 {
            guard errno == ENOENT, autoInit else {
                throw FSPath.error("directory \(path) (set auto_init: true to create it)")
            }
            try FSDirectory.makeDirectories(path, mode: 0o755 & mode | 0o700)
        } else if (info.st_mode & S_IFMT) != S_IFDIR {
            throw WippyError.invalid("\(path) is not a directory")
        }
        guard let resolved = realpath(path, nil) else { throw FSPath.error("directory \(path)") }
        root = String(cString: resolved)
        free(resolved)
    }

    public func close() {}

    static func makeDirectories(_ path: String, mode: Int) throws(WippyError) {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, mode_t(mode)) != 0 && errno != EEXIST { throw FSPath.error("cannot create \(current)") }
        }
    }

    /// The real path of `path` (taken from `cwd`), confined to the root.
    public func resolve(_ path: String, cwd: String = "/") throws(WippyError) -> String {
        try FSPath.real(try FSPath.virtual(path, cwd: cwd), root: root)
    }

    func checkWritable(_ path: String) throws(WippyError) {
        guard mode & 0o200 != 0 else {
            throw WippyError("\(id) is read-only (mode \(String(mode, radix: 8))): cannot change \(path)", kind: .permissionDenied, retryable: false)
        }
    }

    func checkReadable(_ path: String) throws(WippyError) {
        guard mode & 0o400 != 0 else {
            throw WippyError("\(id) cannot be read (mode \(String(mode, radix: 8))): \(path)", kind: .permissionDenied, retryable: false)
        }
    }

    // MARK: - Operations

    public func readFile(_ path: String, cwd: String = "/") throws(WippyError) -> [UInt8] {
        try checkReadable(path)
        let file = try open(path, mode: .read, cwd: cwd)
        defer { file.close() }
        return try file.readAll()
    }

    public func writeFile(_ path: String, _ bytes: [UInt8], mode openMode: FSOpenMode = .write, cwd: String = "/") throws(WippyError) {
        guard openMode != .read else { throw WippyError.invalid("invalid write mode \"r\" (use \"w\", \"a\" or \"wx\")") }
        let file = try open(path, mode: openMode, cwd: cwd)
        defer { file.close() }
        try file.write(bytes)
    }

    public func exists(_ path: String, cwd: String = "/") throws(WippyError) -> Bool {
        let real = try resolve(path, cwd: cwd)
        var info = Glibc.stat()
        if fileStatus(real, &info) == 0 { return true }
        if errno == ENOENT || errno == ENOTDIR { return false }
        throw FSPath.error("exists \(path)")
    }

    public func status(_ path: String, cwd: String = "/") throws(WippyError) -> FSStat {
        let virtual = try FSPath.virtual(path, cwd: cwd)
        let real = try FSPath.real(virtual, root: root)
        var info = Glibc.stat()
        guard fileStatus(real, &info) == 0 else { throw FSPath.error("stat \(path)") }
        return FSStat(name: virtual == "/" ? "/" : String(virtual.split(separator: "/").last ?? ""), info: info)
    }

    public func isDirectory(_ path: String, cwd: String = "/") throws(WippyError) -> Bool {
        try status(path, cwd: cwd).isDirectory
    }

    public func makeDirectory(_ path: String, cwd: String = "/") throws(WippyError) {
        try checkWritable(path)
        let real = try resolve(path, cwd: cwd)
        // Directories get execute bits wherever `mode` has read bits.
        let directoryMode = (0o755 & (mode | (mode & 0o444) >> 2))
        guard mkdir(real, mode_t(directoryMode)) == 0 else { throw FSPath.error("mkdir \(path)") }
    }

    public func remove(_ path: String, cwd: String = "/") throws(WippyError) {
        try checkWritable(path)
        let virtual = try FSPath.virtual(path, cwd: cwd)
        guard virtual != "/" else { throw WippyError.invalid("cannot remove the root of \(id)") }
        // The parent is resolved and confined; the last component is removed as it is (a symbolic link
        // is removed, never what it points to).
        let slash = virtual.lastIndex(of: "/")!
        let parent = try FSPath.real(slash == virtual.startIndex ? "/" : String(virtual[..<slash]), root: root)
        let name = virtual[virtual.index(after: slash)...]
        let real = parent == "/" ? "/\(name)" : "\(parent)/\(name)"
        var info = Glibc.stat()
        guard lstat(real, &info) == 0 else { throw FSPath.error("remove \(path)") }
        let failed = (info.st_mode & S_IFMT) == S_IFDIR ? rmdir(real) != 0 : unlink(real) != 0
        if failed { throw FSPath.error("remove \(path)") }
    }

    /// The entries of a directory in listing order, `.` and `..` left out.
    public func readDirectory(_ path: String, cwd: String = "/") throws(WippyError) -> [(name: String, isDirectory: Bool)] {
        try checkReadable(path)
        let real = try resolve(path, cwd: cwd)
        guard let handle = opendir(real) else { throw FSPath.error("readdir \(path)") }
        defer { closedir(handle) }
        var result: [(String, Bool)] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) || entry.pointee.d_type == UInt8(DT_LNK) {
                var info = Glibc.stat()
                isDirectory = fileStatus(real + "/" + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
            }
            result.append((name, isDirectory))
        }
        return result
    }

    /// Checks that `path` is a directory and returns its volume path (`chdir`).
    public func directoryPath(_ path: String, cwd: String = "/") throws(WippyError) -> String {
        let virtual = try FSPath.virtual(path, cwd: cwd)
        let real = try FSPath.real(virtual, root: root)
        var info = Glibc.stat()
        guard fileStatus(real, &info) == 0 else { throw FSPath.error("chdir \(path)") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw WippyError.invalid("chdir \(path): not a directory") }
        return virtual
    }

    public func open(_ path: String, mode openMode: FSOpenMode, cwd: String = "/") throws(WippyError) -> FSFile {
        if openMode == .read { try checkReadable(path) } else { try checkWritable(path) }
        let virtual = try FSPath.virtual(path, cwd: cwd)
        let real = try FSPath.real(virtual, root: root)
        // O_NOFOLLOW: the last component was checked above; a link swapped in since is not followed.
        let descriptor = Glibc.open(real, openMode.flags | O_CLOEXEC | O_NOFOLLOW, mode_t(0o644 & mode))
        guard descriptor >= 0 else {
            if errno == EEXIST { throw WippyError.alreadyExists("open \(path): the file exists (mode \"wx\")") }
            throw FSPath.error("open \(path)")
        }
        var info = Glibc.stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            Glibc.close(descriptor)
            throw WippyError.invalid("open \(path): is a directory")
        }
        return FSFile(descriptor: descriptor, name: String(virtual.split(separator: "/").last ?? ""))
    }
}
