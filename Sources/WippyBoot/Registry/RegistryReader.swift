import HashTreeCollections
public import WippyCore

/// The registry of a project as it would be at boot, without booting: the definition files' entries with
/// the recorded history (``RuntimeOptions/history``) replayed up to its head. No code is compiled and no
/// service starts; `wippy registry list|show` read it.
public enum RegistryReader {
    /// Loads the project's entries and replays the configured history onto them.
    ///
    /// - Throws: `Invalid` for a project that does not load (naming the file), or the history's error.
    public static func snapshot(options: RuntimeOptions) throws(WippyError) -> RegistrySnapshot {
        let project: LoadedProject
        do {
            project = try ProjectLoader(projectRoot: options.projectRoot, lockFile: options.lockFile).load()
        } catch {
            throw WippyError(error.description, kind: .invalid, retryable: false)
        }
        var entries: RegistryEntries = [:]
        for entry in project.entries { entries[entry.id] = entry }
        guard let history = options.history else { return RegistrySnapshot(version: 0, entries: entries) }
        let index = try history.index()
        guard index.head != 0 else { return RegistrySnapshot(version: 0, entries: entries) }
        try history.overlay(at: index.head, in: index).overlay.apply(onto: &entries)
        let head = index.head
        return RegistrySnapshot(version: head, entries: entries)
    }

    /// The entry `reference` names: a full `ns:name` ID, or a bare name that only one entry has.
    ///
    /// - Throws: `NotFound` "entry not found: …", or `Invalid` "ambiguous entry name …" listing the matches.
    public static func entry(_ reference: String, in snapshot: RegistrySnapshot) throws(WippyError) -> Entry {
        if reference.contains(":") {
            guard let entry = snapshot.entry(EntryID(parsing: reference)) else {
                throw WippyError.notFound("entry not found: \(reference)")
            }
            return entry
        }
        let matches = snapshot.sortedEntries.filter { $0.id.name == reference }
        switch matches.count {
        case 0: throw WippyError.notFound("entry not found: \(reference)")
        case 1: return matches[0]
        default:
            let ids = matches.map(\.id.description).joined(separator: ", ")
            throw WippyError.invalid("ambiguous entry name '\(reference)': matches \(ids); use the full ID")
        }
    }
}
