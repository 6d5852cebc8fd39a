public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// Paths inside an `fs.directory`: every path is taken in the directory's own namespace, where `/` is the
/// root, relative paths start at the volume's working directory, and `..` stops at the root. A path that
/// reaches outside through a symbolic link (the last component or any parent) is refused.
public enum FSPath {
    /// `path` (absolute in the volume, or relative to `cwd`) cleaned to an absolute volume path: no `.`, no
    /// `..` above the root, no repeated separators.
    ///
    /// - Throws: `Invalid` for an empty path or one with a NUL byte.
    public static func virtual(_ path: String, cwd: String = "/") throws(WippyError) -> String {
        guard !path.isEmpty else { throw WippyError.invalid("path is empty") }
        guard !path.utf8.contains(0) else { throw WippyError.invalid("path contains a NUL byte") }
        let joined = path.hasPrefix("/") ? path : cwd + "/" + path
        var parts: [Substring] = []
        for segment in joined.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(segment)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// The real path of the volume path `virtual` under `root` (itself a real path, no symbolic links),
    /// with every symbolic link of the existing part resolved, checked to stay under `root`.
    ///
    /// - Throws: `PermissionDenied` when a symbolic link leads outside the root (or dangles: its target
    ///   cannot be checked).
    public static func real(_ virtual: String, root: String) throws(WippyError) -> String {
        let components = virtual.split(separator: "/").map(String.init)
        var existing = root
        var index = 0
        // The longest existing prefix (lstat: a dangling link exists too).
        while index < components.count {
            let next = existing == "/" ? "/" + components[index] : existing + "/" + components[index]
            var info = stat()
            guard lstat(next, &info) == 0 else { break }
            existing = next
            index += 1
        }
        guard let resolved = realpath(existing, nil) else {
            throw WippyError(
                "path \(virtual) leads through a symbolic link that cannot be resolved", kind: .permissionDenied, retryable: false)
        }
        let real = String(cString: resolved)
        free(resolved)
        guard real == root || root == "/" || real.hasPrefix(root + "/") else {
            throw WippyError("path \(virtual) leaves the directory (through a symbolic link)", kind: .permissionDenied, retryable: false)
        }
        let rest = components[index...].joined(separator: "/")
        if rest.isEmpty { return real }
        return real == "/" ? "/" + rest : real + "/" + rest
    }

    /// A `WippyError` for the current `errno`, `what` naming the operation and path.
    public static func error(_ what: String) -> WippyError { error(what, code: errno) }

    /// A `WippyError` for the error number `code`.
    public static func error(_ what: String, code: Int32) -> WippyError {
        let reason = String(cString: strerror(code))
        let kind: ErrorKind
        switch code {
        case ENOENT: kind = .notFound
        case EEXIST: kind = .alreadyExists
        case EACCES, EPERM, EROFS: kind = .permissionDenied
        case ENOTEMPTY, EISDIR, ENOTDIR, EINVAL, ENAMETOOLONG, ELOOP: kind = .invalid
        default: kind = .internal
        }
        return WippyError("\(what): \(reason)", kind: kind, retryable: false)
    }
}

/// `stat(2)` (a free function, so the name is not taken for the `stat` struct's initializer).
func fileStatus(_ path: String, _ info: inout stat) -> Int32 { stat(path, &info) }
