/// One operation of a changeset: create, update or delete an entry.
///
/// For an update or delete, ``original`` is the entry as it was before; the registry fills it in when the
/// change is applied, so a saved change can be reversed.
public struct RegistryChange: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case create = "entry.create"
        case update = "entry.update"
        case delete = "entry.delete"
    }

    public var kind: Kind
    /// The new entry (create, update) or the entry removed (delete; at least its ID before it is applied).
    public var entry: Entry
    /// The previous value, for updates and deletes that have been applied.
    public var original: Entry?

    public init(kind: Kind, entry: Entry, original: Entry? = nil) {
        self.kind = kind
        self.entry = entry
        self.original = original
    }

    public static func create(_ entry: Entry) -> RegistryChange { RegistryChange(kind: .create, entry: entry) }
    public static func update(_ entry: Entry) -> RegistryChange { RegistryChange(kind: .update, entry: entry) }
    public static func delete(_ id: EntryID) -> RegistryChange { RegistryChange(kind: .delete, entry: Entry(id: id, kind: "")) }

    public var id: EntryID { entry.id }

    /// The change that undoes this one (create ⇔ delete, update ⇒ update back to the original).
    public var reversed: RegistryChange {
        switch kind {
        case .create: return RegistryChange(kind: .delete, entry: entry, original: entry)
        case .update: return RegistryChange(kind: .update, entry: original ?? entry, original: entry)
        case .delete: return RegistryChange(kind: .create, entry: original ?? entry)
        }
    }

    public var description: String { "\(kind.rawValue) \(entry.id)" }
}
