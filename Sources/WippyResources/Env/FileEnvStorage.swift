import Foundation
public import WippyCore
import Synchronization

/// `env.storage.file`: variables kept in a `.env` file (``DotEnvFile``). The file is read when the storage
/// opens; a write updates the value in memory and rewrites the file (atomically, keeping its comments and
/// order), so it must be called off the Lua workers.
///
/// A missing file is created (with its directory) when `auto_create` is set; otherwise the storage opens
/// empty and reads find nothing, and a write says the file does not exist.
public final class FileEnvStorage: EnvStorage {
    public let id: EntryID
    /// The absolute path of the file.
    public let path: String
    let fileMode: Int
    let dirMode: Int
    private let state: Mutex<(file: DotEnvFile, exists: Bool)>

    /// Opens the storage, reading `path` (creating it first when `autoCreate` is set).
    ///
    /// - Throws: `Internal` when the file exists but cannot be read, or cannot be created.
    public init(id: EntryID, path: String, autoCreate: Bool, fileMode: Int = 0o644, dirMode: Int = 0o755) throws(WippyError) {
        self.id = id
        self.path = path
        self.fileMode = fileMode
        self.dirMode = dirMode
        let manager = FileManager.default
        var exists = manager.fileExists(atPath: path)
        if !exists && autoCreate {
            do {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty && !manager.fileExists(atPath: directory) {
                    try manager.createDirectory(
                        atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: dirMode])
                }
                guard manager.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: fileMode]) else {
                    throw WippyError.internal("cannot create \(path)")
                }
            } catch {
                throw WippyError.internal("env storage \(id): cannot create \(path): \(error)")
            }
            exists = true
        }
        var file = DotEnvFile(parsing: "")
        if exists {
            do {
                file = DotEnvFile(parsing: try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                throw WippyError.internal("env storage \(id): cannot read \(path): \(error)")
            }
        }
        state = Mutex((file, exists))
    }

    public func value(_ key: String) -> String? { state.withLock { $0.file.values[key] } }

    public func set(_ key: String, _ value: String) throws(WippyError) {
        let path = self.path
        let result: Result<Void, WippyError> = state.withLock { state in
            guard state.exists else {
                return .failure(
                    WippyError(
                        "env storage \(id): \(path) does not exist (set auto_create: true to create it)", kind: .notFound,
                        retryable: false))
            }
            var file = state.file
            file.set(key, value)
            do {
                try Data(file.text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                try? FileManager.default.setAttributes([.posixPermissions: fileMode], ofItemAtPath: path)
            } catch {
                return .failure(WippyError.internal("env storage \(id): cannot write \(path): \(error)"))
            }
            state.file = file
            return .success(())
        }
        try result.get()
    }

    public func all() -> [String: String] { state.withLock { $0.file.values } }
    public var isReadOnly: Bool { false }
}
