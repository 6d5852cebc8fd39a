public import WippyCore
import WippyStore

/// `wippy registry reset`: discards recorded runtime changes from a project's registry history, so that
/// boot and reload use the definition files again. For some entries, their changes are taken out of every
/// recorded version; for all, the history starts over at v0. A history too damaged to open is moved aside
/// (kept for inspection) and a new one starts.
///
/// It refuses while a runtime runs in the project (``RuntimeLock``), which it holds while it works.
public enum RegistryReset {
    /// Discards the runtime changes of `entries` (all entries when empty); returns what was done, one line
    /// each.
    ///
    /// - Throws: `AlreadyExists` while a runtime runs in the project; `Invalid` for a memory history, or a
    ///   damaged history when entries are named (only a reset of everything can start over).
    public static func run(projectRoot: String, historyMode: RegistryHistoryMode, entries: [EntryID], command: String) throws(WippyError)
        -> [String]
    {
        guard let path = historyMode.databasePath(projectRoot: projectRoot) else {
            throw WippyError.invalid("--history memory keeps nothing between runs: there is nothing to reset")
        }
        let lock = try RuntimeLock.acquire(projectRoot: projectRoot, mode: .maintenance, command: command)
        defer { lock?.release() }
        guard SQLiteFileCheck.exists(path) else { return ["no registry history at \(path): nothing to reset"] }
        let history: SQLiteRegistryHistory
        do throws(WippyError) {
            history = try SQLiteRegistryHistory(path: path, create: false)
        } catch {
            guard entries.isEmpty else {
                throw WippyError.invalid("\(error.message)\n(a damaged history can only be reset as a whole: `wippy registry reset` without an entry)")
            }
            let aside = try SQLiteRegistryHistory.moveAside(path: path)
            return [
                "the registry history could not be opened: \(error.message)",
                "moved it to \(aside ?? path); the next run starts a new history from the definition files",
            ]
        }
        guard !entries.isEmpty else {
            let discarded = try history.discard(nil)
            return [
                "discarded \(discarded.changes) recorded runtime change\(discarded.changes == 1 ? "" : "s") in \(discarded.versions) "
                    + "version\(discarded.versions == 1 ? "" : "s") (\(path)); the next run uses the definition files only"
            ]
        }
        var lines: [String] = []
        for id in entries {
            let discarded = try history.discard(id)
            if discarded.changes == 0 {
                lines.append("\(id): no recorded runtime changes")
            } else {
                lines.append(
                    "\(id): discarded \(discarded.changes) recorded runtime change\(discarded.changes == 1 ? "" : "s") in "
                        + "\(discarded.versions) version\(discarded.versions == 1 ? "" : "s"); the next run uses its definition file")
            }
        }
        return lines
    }
}
