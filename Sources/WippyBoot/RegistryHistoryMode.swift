public import WippyCore
import WippyStore
#if canImport(Glibc)
import Glibc
#endif

/// Where an application keeps its registry history (§4.5): in memory (lost on exit) or in a SQLite file, by
/// default `<project>/.wippy/registry.db`.
public enum RegistryHistoryMode: Sendable, Equatable, CustomStringConvertible {
    case memory
    /// A SQLite database; `path` is relative to the project root unless absolute (nil: the default file).
    case sqlite(path: String? = nil)

    /// Parses `memory`, `sqlite` or `sqlite:PATH`.
    public init?(argument: String) {
        switch argument {
        case "memory": self = .memory
        case "sqlite": self = .sqlite()
        case let text where text.hasPrefix("sqlite:") && text.count > "sqlite:".count:
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .memory: return "memory"
        case .sqlite(let path): return path.map { "sqlite:\($0)" } ?? "sqlite"
        }
    }

    /// Opens the history for a project.
    ///
    /// - Throws: `Invalid` naming the file when a SQLite history cannot be opened or is not one this build reads.
    public func makeHistory(projectRoot: String) throws(WippyError) -> any RegistryHistory {
        guard let path = databasePath(projectRoot: projectRoot) else { return MemoryRegistryHistory() }
        return try SQLiteRegistryHistory(path: path)
    }

    /// The history for a project when its store already exists (nil for memory or no file yet), for readers
    /// that must not create one.
    public func existingHistory(projectRoot: String) throws(WippyError) -> (any RegistryHistory)? {
        guard let path = databasePath(projectRoot: projectRoot), access(path, F_OK) == 0 else { return nil }
        return try SQLiteRegistryHistory(path: path, create: false)
    }

    /// The SQLite file of this mode (nil for memory): the default one, or `path` relative to the project.
    public func databasePath(projectRoot: String) -> String? {
        let root = projectRoot.isEmpty ? "." : projectRoot
        switch self {
        case .memory: return nil
        case .sqlite(nil): return SQLiteRegistryHistory.defaultPath(projectRoot: root)
        case .sqlite(let path?): return path.hasPrefix("/") ? path : root + "/" + path
        }
    }
}

extension RuntimeOptions {
    /// ``history`` when one was given, else a history opened as ``historyMode`` says.
    func makeHistory() throws(WippyError) -> any RegistryHistory {
        if let history { return history }
        return try historyMode.makeHistory(projectRoot: projectRoot)
    }
}
