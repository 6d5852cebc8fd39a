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
        // Looked for in the UTF-8 view (":" is ASCII, so its index splits the string there): a Character
        // search walks grapheme clusters, and this runs on every `funcs.call`.
        if let colon = string.utf8.firstIndex(of: UInt8(ascii: ":")) {
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

    /// Ordered as the bytes of the `ns:name` strings are, which is how Wippy (Go) sorts IDs; compared in
    /// place, without building the strings.
    public static func < (lhs: EntryID, rhs: EntryID) -> Bool {
        if lhs.namespace == rhs.namespace { return lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
        return IDBytes(lhs).lexicographicallyPrecedes(IDBytes(rhs))
    }
}

/// The UTF-8 bytes of `ns:name`, one after the other.
private struct IDBytes: Sequence, IteratorProtocol {
    private var namespace: String.UTF8View.Iterator
    private var name: String.UTF8View.Iterator
    private var stage = 0

    init(_ id: EntryID) {
        namespace = id.namespace.utf8.makeIterator()
        name = id.name.utf8.makeIterator()
    }

    mutating func next() -> UInt8? {
        if stage == 0 {
            if let byte = namespace.next() { return byte }
            stage = 1
            return UInt8(ascii: ":")
        }
        return name.next()
    }
}
