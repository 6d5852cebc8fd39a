/// Where an entry was defined: the definition file and the line of the entry in it.
///
/// Kept for error messages only; two entries that differ only in origin are equal.
public struct EntryOrigin: Sendable, Hashable, CustomStringConvertible {
    /// Path of the definition file (as given to the loader, usually relative to the project).
    public var file: String
    /// 1-based line of the entry's first key in the file, when known.
    public var line: Int?
    /// For data fields loaded with `file://`: field name to the path of the file that was inlined.
    public var inlinedFiles: [String: String]

    public init(file: String, line: Int? = nil, inlinedFiles: [String: String] = [:]) {
        self.file = file
        self.line = line
        self.inlinedFiles = inlinedFiles
    }

    public var description: String {
        if let line { return "\(file):\(line)" }
        return file
    }
}

/// A registry entry: identity, kind, searchable metadata and kind-specific data.
public struct Entry: Sendable, CustomStringConvertible {
    public var id: EntryID
    public var kind: String
    /// Free-form, searchable metadata (string keys).
    public var meta: PayloadTable
    /// Every other key of the definition; its shape depends on the kind.
    public var data: Payload
    /// Where the entry came from, if it was loaded from a file.
    public var origin: EntryOrigin?

    public init(id: EntryID, kind: String, meta: PayloadTable = PayloadTable(), data: Payload = .null, origin: EntryOrigin? = nil) {
        self.id = id
        self.kind = kind
        self.meta = meta
        self.data = data
        self.origin = origin
    }

    /// A string field of `data`.
    public func string(_ key: String) -> String? { data[key]?.stringValue }

    public var description: String { "\(id) (\(kind))" }
}

extension Entry: Equatable {
    /// Entries are equal when their id, kind, meta and data are; the origin does not count.
    public static func == (lhs: Entry, rhs: Entry) -> Bool {
        lhs.id == rhs.id && lhs.kind == rhs.kind && lhs.meta == rhs.meta && lhs.data == rhs.data
    }
}
