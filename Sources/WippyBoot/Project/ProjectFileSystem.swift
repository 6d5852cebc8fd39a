internal import Foundation

/// The few file-system operations the loader needs, on absolute paths.
enum ProjectFileSystem {
    /// What is found at a path.
    enum ItemKind {
        case missing
        case file
        case directory
    }

    /// The kind of item at `path`, following symbolic links.
    static func kind(of path: String) -> ItemKind {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        return isDirectory.boolValue ? .directory : .file
    }

    /// Whether `path` is a real directory (not a symbolic link to one); directory walks do not follow links.
    static func isRealDirectory(_ path: String) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let type = attributes[.type] as? FileAttributeType
        else { return false }
        return type == .typeDirectory
    }

    /// The names in a directory, sorted by their UTF-8 bytes.
    static func sortedNames(in directory: String) throws(ProjectError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).sorted(by: ProjectPath.precedes)
        } catch {
            throw ProjectError("cannot list directory \(directory): \(error.localizedDescription)")
        }
    }

    /// The bytes of a file, or `nil` if it cannot be read.
    static func contents(of path: String) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return [UInt8](data)
    }

    /// Writes `text` to `path` (creating parent directories) and sets the POSIX permissions.
    static func write(_ text: String, to path: String, permissions: Int = 0o644) throws(ProjectError) {
        do {
            let directory = ProjectPath.directory(of: path)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
        } catch {
            throw ProjectError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Creates a directory and its parents.
    static func createDirectory(_ path: String) throws(ProjectError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw ProjectError("cannot create directory \(path): \(error.localizedDescription)")
        }
    }
}
