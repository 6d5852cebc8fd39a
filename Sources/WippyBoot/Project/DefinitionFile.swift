public import WippyCore
internal import Yams

/// One definition file (`.yaml`, `.yml` or `.json`) and the entries it declares.
///
/// A file whose top level is not a map, or a map with neither an `entries` list nor `name` and `kind`, declares
/// nothing and is ignored (other YAML files, such as a module's `wippy.yaml`, may live in the tree). One that
/// declares entries needs a non-empty string `namespace`. It uses one of two formats:
/// - **batch**: an `entries` list; file-level `meta` is merged into each entry's meta (entry keys win); an entry's
///   data is the value of its `data` key when it has one, else every key except `name`, `kind`, `meta`, `data`;
/// - **single entry**: top-level `name` and `kind` and no `entries`; the data is every top-level key except
///   `namespace`, `name`, `kind`, `meta`, `version`, `requirements`, `entries`.
///
/// Every string value goes through ``FileInterpolator`` first. Any problem (bad YAML, a bad entry, a missing
/// `file://` target) is an error naming the file, the line and the entry.
public struct DefinitionFile: Sendable {
    /// File extensions that are parsed as definition files.
    public static let extensions: Set<String> = ["yaml", "yml", "json"]
    /// Keys of a batch entry that are not data.
    public static let batchStructuralKeys: Set<String> = ["name", "kind", "meta", "data"]
    /// Top-level keys of a single-entry file that are not data.
    public static let singleEntryStructuralKeys: Set<String> = [
        "namespace", "name", "kind", "meta", "version", "requirements", "entries",
    ]

    /// Absolute path of the file.
    public var path: String
    /// Absolute path of the loaded tree the file belongs to (the `file:///` root).
    public var treeRoot: String
    /// Absolute project root; origins and errors use paths relative to it.
    public var projectRoot: String

    public init(path: String, treeRoot: String, projectRoot: String) {
        self.path = ProjectPath.clean(path)
        self.treeRoot = ProjectPath.clean(treeRoot)
        self.projectRoot = ProjectPath.clean(projectRoot)
    }

    /// Whether a file name has a definition-file extension.
    public static func isDefinitionFile(name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return false
        }
        return extensions.contains(String(name[name.index(after: dot)...]).lowercased())
    }

    /// The file as shown in origins and errors: relative to the project root when inside it.
    public var displayPath: String { ProjectPath.relative(path, to: projectRoot) }

    /// Parses the file and returns its entries in file order (none when the file has no namespace).
    public func load() throws(ProjectError) -> [Entry] {
        let file = displayPath
        guard let bytes = ProjectFileSystem.contents(of: path) else {
            throw ProjectError("cannot read definition file", file: file)
        }
        guard var text = String(validating: bytes, as: UTF8.self) else {
            throw ProjectError("definition file is not valid UTF-8", file: file)
        }
        // A byte order mark some editors write at the start of UTF-8 files is not part of the document.
        if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
        guard let root = try YAMLPayloadDecoder.compose(text, file: file), case .mapping(let mapping) = root else {
            return []
        }
        var decoder = YAMLPayloadDecoder(file: file)
        let pairs = try decoder.pairs(of: mapping)
        func value(_ key: String) -> YAMLNode? { pairs.first { $0.key == .string(key) }?.value }

        guard let namespaceNode = value("namespace"),
            case .string(let namespace) = try decoder.decode(namespaceNode), !namespace.isEmpty
        else {
            // Other YAML files (data, specs) may sit in the tree; one that declares entries needs a namespace.
            var declared: YAMLNode?
            if let entries = value("entries"), case .sequence = entries { declared = entries }
            if declared == nil, value("kind") != nil { declared = value("name") }
            guard let declared else { return [] }
            let problem = value("namespace") == nil ? "has no `namespace:`" : "has a `namespace:` that is not a non-empty string"
            throw ProjectError(
                "definition file \(problem): its entries need one (for example `namespace: app`)", file: file,
                line: YAMLPayloadDecoder.line(of: value("namespace") ?? declared))
        }
        if namespace.contains(":") {
            throw ProjectError("namespace \"\(namespace)\" must not contain ':'", file: file, line: YAMLPayloadDecoder.line(of: namespaceNode))
        }
        let interpolator = FileInterpolator(
            treeRoot: treeRoot, baseDirectory: ProjectPath.directory(of: path), projectRoot: projectRoot, file: file)
        var builder = EntryBuilder(namespace: namespace, file: file, interpolator: interpolator)

        if let entriesNode = value("entries") {
            guard case .sequence(let items) = entriesNode else {
                throw ProjectError("`entries` must be a list", file: file, line: YAMLPayloadDecoder.line(of: entriesNode))
            }
            if let metaNode = value("meta") {
                let line = YAMLPayloadDecoder.line(of: metaNode)
                var ignored: [FileInterpolator.Inlined] = []
                let meta = try interpolator.interpolate(try decoder.decode(metaNode), line: line, entry: nil, inlined: &ignored)
                builder.fileMeta = try builder.metaTable(meta, line: line, entry: nil)
            }
            var entries: [Entry] = []
            for (index, item) in items.enumerated() {
                let line = YAMLPayloadDecoder.line(of: item)
                guard case .mapping = item else {
                    throw ProjectError(
                        "entries item #\(index + 1) is not a mapping (every entry needs `name` and `kind`)",
                        file: file, line: line)
                }
                guard case .table(let raw) = try decoder.decode(item) else { continue }
                entries.append(try builder.entry(from: raw, line: line, index: index + 1, format: .batch))
            }
            return entries
        }

        if value("name") == nil && value("kind") == nil {
            throw ProjectError(
                "file declares namespace \"\(namespace)\" but has neither an `entries` list nor top-level `name` and `kind`",
                file: file, line: YAMLPayloadDecoder.line(of: root))
        }
        guard case .table(let raw) = try decoder.decode(root) else { return [] }
        let line = value("name").flatMap(YAMLPayloadDecoder.line(of:)) ?? YAMLPayloadDecoder.line(of: root)
        return [try builder.entry(from: raw, line: line, index: 1, format: .singleEntry)]
    }
}
