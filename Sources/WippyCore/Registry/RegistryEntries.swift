public import HashTreeCollections

/// The entries of a registry state by ID: a persistent hash tree, so that a changeset copies only the paths it
/// changes (O(log n)) and every snapshot shares the rest with the one before it. With a plain dictionary each
/// apply copied, and later freed, the whole registry.
public typealias RegistryEntries = TreeDictionary<EntryID, Entry>
