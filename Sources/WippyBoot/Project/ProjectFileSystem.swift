// `stat` is also declared by Dispatch's C module, which the HTTP server's dependencies bring in: name it.
import Dispatch
#if canImport(CDispatch)
import CDispatch
#endif
internal import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// The names in a directory, sorted by their UTF-8 bytes. A subdirectory or definition file whose name is
    /// not valid UTF-8 is an error naming it (it could be neither loaded nor referred to); other such files are
    /// left out.
    static func sortedNames(in directory: String) throws(ProjectError) -> [String] {
        guard let stream = opendir(directory) else {
            throw ProjectError("cannot list directory: \(String(cString: strerror(errno)))", file: directory)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let item = readdir(stream) {
            let bytes = withUnsafeBytes(of: item.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            if let name = String(validating: bytes, as: UTF8.self) {
                names.append(name)
                continue
            }
            let shown = bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }.joined()
            var info = stat()
            let isDirectory = (Array(directory.utf8) + [0x2F] + bytes + [0]).withUnsafeBufferPointer { path in
                path.withMemoryRebound(to: CChar.self) { lstat($0.baseAddress!, &info) == 0 }
            } && (info.st_mode & S_IFMT) == S_IFDIR
            if isDirectory || DefinitionFile.isDefinitionFile(name: shown) {
                throw ProjectError(
                    "\(isDirectory ? "directory" : "file") name is not valid UTF-8: rename it", file: directory + "/" + shown)
            }
        }
        return names.sorted(by: ProjectPath.precedes)
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
