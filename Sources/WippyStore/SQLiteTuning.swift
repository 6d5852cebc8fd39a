import CSQLiteTuning

/// SQLite's process-wide settings (see `wippy_sqlite_tune`): memory statistics off, so allocations inside
/// SQLite take no global mutex. They only take effect before SQLite initialises, so every place that opens
/// a connection calls ``apply()`` first; the first call does the work, later ones nothing.
public enum SQLiteTuning {
    private static let applied: Bool = wippy_sqlite_tune() == 0

    /// Applies the settings unless SQLite is initialised already; true when they are in effect (as far as this
    /// process's calls know).
    @discardableResult
    public static func apply() -> Bool { applied }
}
