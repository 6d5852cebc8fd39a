import HashTreeCollections

/// Overlays in a ``PayloadArchive``: the checkpoints a registry history keeps.
///
/// Layout: the version, the layer count, then for each layer (sorted by ID) the entry's namespace and name,
/// the last version that changed it, a flags byte (bit 0: a value follows, bit 1: a base follows) and those
/// entries.
extension RegistryOverlay {
    public func archive() throws(WippyError) -> [UInt8] {
        var writer = PayloadArchiveWriter()
        writer.write(unsigned: version)
        writer.write(unsigned: UInt64(layers.count))
        for (id, layer) in layers.sorted(by: { $0.key < $1.key }) {
            writer.write(string: id.namespace)
            writer.write(string: id.name)
            writer.write(unsigned: layer.version)
            writer.write(byte: (layer.value == nil ? 0 : 1) | (layer.base == nil ? 0 : 2))
            if let value = layer.value { try writer.write(entry: value) }
            if let base = layer.base { try writer.write(entry: base) }
        }
        return writer.bytes
    }

    /// The overlay of an archive made by ``archive()``.
    ///
    /// - Throws: `Invalid` naming what is wrong and at which byte.
    public static func unarchive(_ bytes: [UInt8]) throws(WippyError) -> RegistryOverlay {
        var reader = try PayloadArchiveReader(bytes)
        let version = try reader.readUnsigned("the overlay version")
        // A layer takes at least 4 bytes: two empty strings, its version and flags.
        let count = try reader.readCount("layer count", minimumSize: 4)
        var layers = TreeDictionary<EntryID, Layer>()
        for _ in 0..<count {
            let start = reader.position
            let namespace = try reader.readString("a layer's namespace")
            let id = EntryID(namespace: namespace, name: try reader.readString("a layer's name"))
            let layerVersion = try reader.readUnsigned("a layer version")
            let flags = try reader.readByte("a layer's flags")
            guard flags <= 3 else { throw reader.failure("bad flags \(flags) of layer \(id)", at: start) }
            let value = flags & 1 != 0 ? try reader.readEntry() : nil
            let base = flags & 2 != 0 ? try reader.readEntry() : nil
            guard layerVersion <= version, layerVersion > 0 else {
                throw reader.failure("layer \(id) changed at v\(layerVersion), not within the overlay's v\(version)", at: start)
            }
            guard value.map({ $0.id == id }) ?? true, base.map({ $0.id == id }) ?? true, layers[id] == nil else {
                throw reader.failure("layer \(id) holds another entry or comes twice", at: start)
            }
            layers[id] = Layer(value: value, base: base, version: layerVersion)
        }
        try reader.finish()
        return RegistryOverlay(version: version, layers: layers)
    }
}
