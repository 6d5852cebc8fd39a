/// Changesets in a ``PayloadArchive``: what a registry history stores for each version.
extension RegistryChange {
    /// A whole changeset as one archive.
    ///
    /// - Throws: `Invalid` when a payload nests deeper than ``PayloadArchive/maximumDepth``.
    public static func archive(_ changes: [RegistryChange]) throws(WippyError) -> [UInt8] {
        var writer = PayloadArchiveWriter()
        writer.write(unsigned: UInt64(changes.count))
        for change in changes { try writer.write(change: change) }
        return writer.bytes
    }

    /// The changeset of an archive made by ``archive(_:)``.
    ///
    /// - Throws: `Invalid` naming what is wrong and at which byte.
    public static func unarchive(_ bytes: [UInt8]) throws(WippyError) -> [RegistryChange] {
        var reader = try PayloadArchiveReader(bytes)
        // A change takes at least 10 bytes: its kind, an entry of at least 8 (three empty strings, an empty
        // table, a null, no origin) and the original flag.
        let count = try reader.readCount("change count", minimumSize: 10)
        var changes: [RegistryChange] = []
        changes.reserveCapacity(count)
        for _ in 0..<count { changes.append(try reader.readChange()) }
        try reader.finish()
        return changes
    }
}

extension PayloadArchiveWriter {
    /// Kind (0 create, 1 update, 2 delete), entry, then the original when there is one.
    public mutating func write(change: RegistryChange) throws(WippyError) {
        write(byte: RegistryChange.archiveCodes[change.kind]!)
        try write(entry: change.entry)
        if let original = change.original {
            write(byte: 1)
            try write(entry: original)
        } else {
            write(byte: 0)
        }
    }
}

extension PayloadArchiveReader {
    public mutating func readChange() throws(WippyError) -> RegistryChange {
        let start = position
        let code = try readByte("a change kind")
        guard let kind = RegistryChange.archiveCodes.first(where: { $0.value == code })?.key else {
            throw failure("unknown change kind \(code)", at: start)
        }
        let entry = try readEntry()
        let original = try readBool("a change's original flag") ? try readEntry() : nil
        return RegistryChange(kind: kind, entry: entry, original: original)
    }
}

extension RegistryChange {
    /// Stable codes of the change kinds in archives (never reuse or renumber).
    static let archiveCodes: [Kind: UInt8] = [.create: 0, .update: 1, .delete: 2]
}
