/// Entries in a ``PayloadArchive``: namespace and name (apart, so any ID survives), kind, metadata, data and
/// the origin (file, line, inlined files) that error messages name.
extension PayloadArchiveWriter {
    public mutating func write(entry: Entry) throws(WippyError) {
        write(string: entry.id.namespace)
        write(string: entry.id.name)
        write(string: entry.kind)
        try write(table: entry.meta)
        try write(entry.data)
        guard let origin = entry.origin else { return write(byte: 0) }
        write(byte: 1)
        write(string: origin.file)
        // 0 for no line, else line + 1.
        write(unsigned: origin.line.map { UInt64(max($0, 0)) + 1 } ?? 0)
        let inlined = origin.inlinedFiles.sorted { $0.key < $1.key }
        write(unsigned: UInt64(inlined.count))
        for (field, path) in inlined {
            write(string: field)
            write(string: path)
        }
    }
}

extension PayloadArchiveReader {
    public mutating func readEntry() throws(WippyError) -> Entry {
        let namespace = try readString("an entry namespace")
        let name = try readString("an entry name")
        let kind = try readString("an entry kind")
        let meta = try readTable()
        let data = try readPayload()
        var entry = Entry(id: EntryID(namespace: namespace, name: name), kind: kind, meta: meta, data: data)
        guard try readBool("an entry's origin flag") else { return entry }
        let file = try readString("an origin file")
        let start = position
        let line = try readUnsigned("an origin line")
        guard line <= UInt64(Int.max) else { throw failure("origin line \(line) out of range", at: start) }
        let count = try readCount("inlined file count", minimumSize: 2)
        var inlined: [String: String] = [:]
        for _ in 0..<count {
            let field = try readString("an inlined field name")
            inlined[field] = try readString("an inlined file path")
        }
        entry.origin = EntryOrigin(file: file, line: line == 0 ? nil : Int(line - 1), inlinedFiles: inlined)
        return entry
    }
}
