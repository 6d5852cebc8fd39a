internal import Foundation

/// Path arithmetic on plain strings with `/` separators, in the manner of Go's `path/filepath`.
enum ProjectPath {
    /// Removes `.` segments, resolves `..` lexically and collapses repeated separators.
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            if segment == "." { continue }
            if segment == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(segment)
                }
                continue
            }
            parts.append(segment)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// `base/path`, cleaned; an absolute `path` is returned cleaned as is.
    static func join(_ base: String, _ path: String) -> String {
        if path.hasPrefix("/") { return clean(path) }
        return clean(base + "/" + path)
    }

    /// An absolute, cleaned version of `path`, relative paths being taken from the current directory.
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return clean(path) }
        return join(FileManager.default.currentDirectoryPath, path)
    }

    /// Whether the cleaned absolute `path` is `root` itself or lies below it.
    static func isInside(_ path: String, root: String) -> Bool {
        path == root || root == "/" || path.hasPrefix(root + "/")
    }

    /// `path` relative to `root` when it lies inside it (`.` for the root itself), else `path` unchanged.
    static func relative(_ path: String, to root: String) -> String {
        if path == root { return "." }
        if root == "/" { return String(path.dropFirst()) }
        if path.hasPrefix(root + "/") { return String(path.dropFirst(root.count + 1)) }
        return path
    }

    /// The directory part of `path` (`.` for a bare name).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last segment of `path`.
    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Orders paths by their UTF-8 bytes, as Go does.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}
