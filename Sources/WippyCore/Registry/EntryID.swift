/// The identity of a registry entry: `namespace:name`.
///
/// Parsing splits at the first `:`. A string with no `:` has an empty namespace; such a *relative* name is
/// completed with the referencing entry's namespace by ``resolve(_:in:)``.
public struct EntryID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// Parses `ns:name` (split at the first `:`); no `:` gives an empty namespace.
    public init(parsing string: String) {
        if let colon = string.firstIndex(of: ":") {
            namespace = String(string[..<colon])
            name = String(string[string.index(after: colon)...])
        } else {
            namespace = ""
            name = string
        }
    }

    /// Parses a reference that may be relative: a value without `:` names an entry in `namespace`.
    public static func resolve(_ reference: String, in namespace: String) -> EntryID {
        let parsed = EntryID(parsing: reference)
        if parsed.namespace.isEmpty && !reference.hasPrefix(":") {
            return EntryID(namespace: namespace, name: parsed.name)
        }
        return parsed
    }

    public var description: String { namespace + ":" + name }

    /// Ordered as the `ns:name` strings are, which is how Wippy sorts IDs.
    public static func < (lhs: EntryID, rhs: EntryID) -> Bool {
        lhs.description < rhs.description
    }
}
