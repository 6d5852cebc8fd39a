public import HashTreeCollections

/// The net effect of the recorded history on top of the definition files, at one version: for each entry a
/// recorded changeset touched on the way from the root to that version, its value now (or its removal), the
/// value the first of those changes found, and the last version that changed it.
///
/// Boot replays history onto the files (§4.5): the files' entries, then every layer put or removed. The
/// overlay is that replay folded once, so a boot with a checkpoint (an overlay saved by the history) replays
/// only the versions after it. The first value found (``Layer/base``) is the files' version the runtime
/// change was made on: when the files now say something else, the entry was edited in both places
/// (``conflicts(with:)``).
public struct RegistryOverlay: Sendable, Equatable {
    /// Immutable and shared (a class, so the tree moves a pointer rather than two entries when it changes).
    public final class Layer: Sendable, Equatable {
        /// The entry as the history leaves it; nil when the history removed it.
        public let value: Entry?
        /// The entry before the first recorded change touched it; nil when it did not exist then.
        public let base: Entry?
        /// The last version that changed it.
        public let version: UInt64

        public init(value: Entry?, base: Entry?, version: UInt64) {
            self.value = value
            self.base = base
            self.version = version
        }

        public static func == (lhs: Layer, rhs: Layer) -> Bool {
            lhs === rhs || (lhs.value == rhs.value && lhs.base == rhs.base && lhs.version == rhs.version)
        }
    }

    /// The version this overlay is the state of (0: nothing recorded).
    public private(set) var version: UInt64
    public private(set) var layers: TreeDictionary<EntryID, Layer>

    public init(version: UInt64 = 0, layers: TreeDictionary<EntryID, Layer> = [:]) {
        self.version = version
        self.layers = layers
    }

    public static let empty = RegistryOverlay()

    public var isEmpty: Bool { layers.isEmpty }

    /// Adds the changes recorded as `version` (a child of ``version``).
    public mutating func fold(_ changes: [RegistryChange], version: UInt64) {
        for change in changes {
            let value: Entry? = change.kind == .delete ? nil : change.entry
            // One lookup, the layer changed in place.
            layers.updateValue(forKey: change.id) { layer in
                let base = layer.map(\.base) ?? (change.kind == .create ? nil : change.original)
                layer = Layer(value: value, base: base, version: version)
            }
        }
        self.version = version
    }

    /// Puts and removes every layer's value in `entries` (the files' entries): the state at ``version``.
    public func apply(onto entries: inout RegistryEntries) {
        for (id, layer) in layers {
            if let value = layer.value { entries[id] = value } else { entries[id] = nil }
        }
    }

    /// Entries changed at runtime whose definition in the files changed since (the files no longer hold
    /// the version the runtime change was made on, nor the runtime's own value), sorted by ID.
    public func conflicts(with files: RegistryEntries) -> [RegistryConflict] {
        var found: [RegistryConflict] = []
        for (id, layer) in layers {
            let file = files[id]
            guard file != layer.base, file != layer.value else { continue }
            found.append(RegistryConflict(id: id, version: layer.version, runtime: layer.value, file: file))
        }
        return found.sorted { $0.id < $1.id }
    }

    /// The overlay without the recorded changes of `id`.
    public func removing(_ id: EntryID) -> RegistryOverlay {
        var copy = self
        copy.layers[id] = nil
        return copy
    }
}

/// An entry changed at runtime (recorded in the history) whose definition file changed afterwards. The
/// recorded runtime version wins, at boot and on reload, until the runtime change is discarded
/// (`wippy registry reset ID`).
public struct RegistryConflict: Sendable, Equatable, CustomStringConvertible {
    public var id: EntryID
    /// The last version that changed the entry at runtime.
    public var version: UInt64
    /// The entry as the runtime left it (nil: removed at runtime).
    public var runtime: Entry?
    /// The entry as the files define it now (nil: not in the files).
    public var file: Entry?

    public init(id: EntryID, version: UInt64, runtime: Entry?, file: Entry?) {
        self.id = id
        self.version = version
        self.runtime = runtime
        self.file = file
    }

    /// Where the files define it: `src/_index.yaml:12`, or `the files` when not known.
    public var fileDescription: String {
        guard let file else { return "the files (where it is gone)" }
        return file.origin.map { "\($0)" } ?? "the files"
    }

    /// What the runtime did: `changed at runtime (v3)` or `removed at runtime (v3)`.
    public var runtimeDescription: String {
        runtime == nil ? "removed at runtime (v\(version))" : "changed at runtime (v\(version))"
    }

    public var description: String {
        "entry \(id) was \(runtimeDescription) and its definition in \(fileDescription) changed since"
    }
}
