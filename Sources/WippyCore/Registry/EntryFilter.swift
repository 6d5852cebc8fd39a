/// A registry query in Wippy's *Finder* language: conditions on an entry's root fields and metadata, all of
/// which must hold. `registry.find` in Lua and `wippy registry list` both speak it.
///
/// A query is a set of `key = value` pairs:
/// - `.kind`, `.ns`, `.name`, `.id` match the entry's kind, namespace, name or `ns:name` ID, exactly or with
///   a simple glob holding one `*`: `prefix*`, `*suffix`, `pre*suf` (a second `*` is an ordinary character).
/// - `meta.<field>` is equality with a metadata field. The field is the rest of the key and may contain dots
///   (`meta.graph.rule` reads the key `graph.rule`, or else the nested path `graph` → `rule`). Values compare
///   as YAML scalars written out as text, so the query `"true"` matches `true` and `"5"` matches `5`. A list
///   value means the field is a list that contains every item (a scalar field counts as a one-item list).
/// - An operator in front of a `meta.` key changes the test: `~` regex (Swift `Regex` syntax, matching
///   anywhere in the text), `*` contains (a substring of the text, or of any item of a list), `^` prefix,
///   `$` suffix. The operators also work on the root keys (`^.name`).
/// - Any other key (`kind`, `type`, a nested `meta = {...}` table, `.other`) is no condition: it is listed in
///   ``ignoredKeys`` so the caller can warn, and the query matches as if it were absent (Wippy's behaviour:
///   `find({kind = "x"})` returns everything).
///
/// A missing metadata field never matches. An empty query matches every entry.
public struct EntryFilter: Sendable {
    /// The conditions, in a canonical order.
    let conditions: [Condition]
    /// Keys that are no condition, as written (sorted).
    public let ignoredKeys: [String]
    /// The query in a canonical text form: two filters with the same key select the same entries.
    public let cacheKey: String

    /// A query from `key = value` pairs (a Lua table, decoded JSON, command-line options).
    ///
    /// - Throws: `Invalid` for a value of the wrong type (a table where text is needed) or a bad regex,
    ///   naming the key.
    public init(_ pairs: [(key: String, value: Payload)]) throws(WippyError) {
        try self.init(pairs) { pattern throws(WippyError) in try EntryFilter.compile(pattern) }
    }

    /// A query from a map payload (nil is the empty query).
    public init(query: Payload) throws(WippyError) {
        try self.init(EntryFilter.pairs(of: query))
    }

    /// As ``init(_:)``, compiling regexes with `compile` (a cache, say).
    init(_ pairs: [(key: String, value: Payload)], compile: (String) throws(WippyError) -> CompiledPattern)
        throws(WippyError)
    {
        var conditions: [Condition] = []
        var ignored: [String] = []
        for (key, value) in pairs {
            guard let condition = try Condition(key: key, value: value, compile: compile) else {
                ignored.append(key)
                continue
            }
            conditions.append(condition)
        }
        conditions.sort { $0.key < $1.key }
        self.conditions = conditions
        ignoredKeys = ignored.sorted()
        cacheKey = conditions.map(\.key).joined(separator: "\u{1}")
    }

    /// True when there are no conditions (everything matches).
    public var isEmpty: Bool { conditions.isEmpty }

    /// Whether `entry` meets every condition.
    public func matches(_ entry: Entry) -> Bool {
        for condition in conditions where !condition.matches(entry) { return false }
        return true
    }

    /// The entries that match, sorted by ID.
    public func select(from entries: some Sequence<Entry>) -> [Entry] {
        entries.filter(matches).sorted { $0.id < $1.id }
    }

    /// The entries of `snapshot` that match, in ID order (the snapshot keeps its entries sorted).
    public func select(from snapshot: RegistrySnapshot) -> [Entry] {
        let sorted = snapshot.sortedEntries
        return isEmpty ? sorted : sorted.filter(matches)
    }

    /// The string-keyed fields of a map payload; nil and an empty table give none.
    static func pairs(of query: Payload) throws(WippyError) -> [(key: String, value: Payload)] {
        switch query {
        case .null: return []
        case .table(let table):
            guard table.array.isEmpty else { throw WippyError.invalid("filter must be a table of key = value pairs") }
            return table.fields.map { (key: $0.key.stringValue ?? $0.key.description, value: $0.value) }
        default:
            throw WippyError.invalid("filter must be a table of key = value pairs")
        }
    }

    static func compile(_ pattern: String) throws(WippyError) -> CompiledPattern {
        try CompiledPattern(pattern)
    }
}
