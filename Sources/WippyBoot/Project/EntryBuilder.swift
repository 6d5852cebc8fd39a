import WippyCore

/// Builds ``Entry`` values from the raw maps of one definition file (see ``DefinitionFile`` for the rules).
struct EntryBuilder {
    /// Which of the two definition-file formats an entry comes from.
    enum Format {
        case batch
        case singleEntry
    }

    var namespace: String
    var file: String
    var interpolator: FileInterpolator
    /// File-level meta of a batch file, merged under every entry's own meta.
    var fileMeta = PayloadTable()

    init(namespace: String, file: String, interpolator: FileInterpolator) {
        self.namespace = namespace
        self.file = file
        self.interpolator = interpolator
    }

    /// Validates and builds one entry from its raw (not yet interpolated) map.
    func entry(from raw: PayloadTable, line: Int?, index: Int, format: Format) throws(ProjectError) -> Entry {
        let name = try requiredString("name", in: raw, line: line, entry: "\(namespace):#\(index)")
        let label = "\(namespace):\(name)"
        _ = try requiredString("kind", in: raw, line: line, entry: label)

        var inlined: [FileInterpolator.Inlined] = []
        let table = try interpolator.interpolate(.table(raw), line: line, entry: label, inlined: &inlined).tableValue ?? raw
        let id = EntryID(namespace: namespace, name: try requiredString("name", in: table, line: line, entry: label))
        let kind = try requiredString("kind", in: table, line: line, entry: label)

        var meta = fileMeta
        if let entryMeta = table["meta"] {
            for field in try metaTable(entryMeta, line: line, entry: label).fields {
                if let index = meta.fields.firstIndex(where: { $0.key == field.key }) {
                    meta.fields[index].value = field.value
                } else {
                    meta.fields.append(field)
                }
            }
        }
        meta.isObject = true

        let usesDataKey = format == .batch && table["data"] != nil
        let data: Payload
        if usesDataKey, let value = table["data"] {
            data = value
        } else {
            let excluded = format == .batch ? DefinitionFile.batchStructuralKeys : DefinitionFile.singleEntryStructuralKeys
            let fields = table.fields.filter { field in
                guard case .string(let key) = field.key else { return true }
                return !excluded.contains(key)
            }
            data = .table(PayloadTable(array: table.array, fields: fields, isObject: true))
        }

        var origin = EntryOrigin(file: file, line: line)
        for item in inlined {
            if let field = dataField(item.field, usesDataKey: usesDataKey, format: format) {
                origin.inlinedFiles[field] = item.path
            }
        }
        return Entry(id: id, kind: kind, meta: meta, data: data, origin: origin)
    }

    /// A `meta` value as a table: a map, or null/empty for none.
    func metaTable(_ value: Payload, line: Int?, entry: String?) throws(ProjectError) -> PayloadTable {
        switch value {
        case .null:
            return PayloadTable(isObject: true)
        case .table(let table) where table.array.isEmpty:
            return table
        default:
            throw ProjectError("`meta` must be a mapping", file: file, line: line, entry: entry)
        }
    }

    private func requiredString(_ key: String, in table: PayloadTable, line: Int?, entry: String) throws(ProjectError) -> String {
        guard let value = table[key] else {
            throw ProjectError("missing `\(key)` (a non-empty string is required)", file: file, line: line, entry: entry)
        }
        guard case .string(let text) = value, !text.isEmpty else {
            throw ProjectError("`\(key)` must be a non-empty string, found \(describe(value))", file: file, line: line, entry: entry)
        }
        return text
    }

    /// Maps the field path of an inlined file in the raw entry to the name recorded in the origin:
    /// the data key (`source`), a nested data path (`wiki.intro`), or `meta.<key>`; structural keys are dropped.
    private func dataField(_ rawPath: String, usesDataKey: Bool, format: Format) -> String? {
        let head = rawPath.split(separator: ".", maxSplits: 1).first.map(String.init) ?? rawPath
        if head == "meta" { return rawPath }
        if usesDataKey {
            guard head == "data" else { return nil }
            return rawPath == "data" ? "data" : String(rawPath.dropFirst("data.".count))
        }
        let excluded = format == .batch ? DefinitionFile.batchStructuralKeys : DefinitionFile.singleEntryStructuralKeys
        return excluded.contains(head) ? nil : rawPath
    }

    private func describe(_ value: Payload) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number (\(value))"
        case .string: return "an empty string"
        case .table(let table): return table.array.isEmpty && table.isObject ? "a mapping" : "a list"
        default: return "\(value)"
        }
    }
}
