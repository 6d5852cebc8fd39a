public import WippyCore

/// An `env.variable` entry: a named value kept in a storage.
public struct EnvVariable: Sendable, Equatable {
    public var id: EntryID
    /// The public name (`variable:`), unique across the registry; nil when the variable is reachable by ID only.
    public var publicName: String?
    /// The storage holding the value.
    public var storage: EntryID
    /// What `get` returns when the storage has no value (or an empty one).
    public var defaultValue: String?
    /// `readonly: true`: `env.set` is refused.
    public var readOnly: Bool

    public init(id: EntryID, publicName: String?, storage: EntryID, defaultValue: String?, readOnly: Bool) {
        self.id = id
        self.publicName = publicName
        self.storage = storage
        self.defaultValue = defaultValue
        self.readOnly = readOnly
    }

    /// The key of the value in its storage: the public name, else the entry's name.
    public var key: String { publicName ?? id.name }

    /// Whether `name` can be a public name: letters, digits and `_`, not empty.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { scalar in
            ("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "_"
        }
    }
}
