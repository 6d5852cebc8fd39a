public import WippyCore
import WippyCodecs
import Yams

/// Text forms of entries for the command line: the `ID  KIND` table, the `show` layout, YAML and JSON.
public enum EntryFormatter {
    /// `ID  KIND` rows sorted by ID (IDs cut at 50 characters, kinds at 30, with `...`), then `Total: N entries`;
    /// "No entries found" for none.
    public static func table(_ entries: [Entry]) -> String {
        guard !entries.isEmpty else { return "No entries found\n" }
        let ids = entries.map { clip($0.id.description, 50) }
        let kinds = entries.map { clip($0.kind, 30) }
        let width = max(2, ids.map(\.count).max() ?? 0)
        var text = pad("ID", width) + "  KIND\n"
        for (id, kind) in zip(ids, kinds) { text += pad(id, width) + "  " + kind + "\n" }
        text += "Total: \(entries.count) \(entries.count == 1 ? "entry" : "entries")\n"
        return text
    }

    /// The `list --json/--yaml` item: `{id, kind, meta}`.
    public static func summary(_ entry: Entry) -> Payload {
        .map([("id", .string(entry.id.description)), ("kind", .string(entry.kind)), ("meta", .table(entry.meta))])
    }

    /// `ID:`, `Kind:`, `Metadata:` (sorted keys) and `Data:` as indented YAML.
    public static func details(_ entry: Entry) throws(WippyError) -> String {
        var text = "ID: \(entry.id)\nKind: \(entry.kind)\n"
        if !entry.meta.isEmpty {
            text += "Metadata:\n" + indent(try yaml(.table(entry.meta)))
        }
        if !entry.data.isNull {
            text += "Data:\n" + indent(try yaml(entry.data))
        }
        return text
    }

    /// `value` as a YAML document (maps with sorted keys), ending in a newline.
    public static func yaml(_ value: Payload) throws(WippyError) -> String {
        do {
            return try Yams.serialize(node: try node(value), indent: 2, width: -1, allowUnicode: true, sortKeys: true)
        } catch let error as WippyError {
            throw error
        } catch {
            throw WippyError.internal("cannot write YAML: \(error)")
        }
    }

    /// `value` as JSON, ending in a newline.
    public static func json(_ value: Payload) throws(WippyError) -> String {
        try JSONCodec.encodeString(value) + "\n"
    }

    /// A value as it is: strings unquoted, anything else as JSON.
    public static func raw(_ value: Payload) throws(WippyError) -> String {
        if case .string(let text) = value { return text + "\n" }
        return try json(value)
    }

    private static func node(_ value: Payload) throws -> Yams.Node {
        switch value {
        case .null, .reference: return Yams.Node("null", Tag(.null))
        case .bool(let flag): return try flag.represented()
        case .int(let number): return try Int(number).represented()
        case .double(let number): return try number.represented()
        case .string(let text):
            // multi-line text (Lua source) reads best as a literal block
            if text.contains("\n") { return Yams.Node(text, Tag(.str), .literal) }
            return try text.represented()
        case .bytes: return try (value.stringValue ?? value.description).represented()
        case .error(let error): return try error.message.represented()
        case .table(let table):
            if table.fields.isEmpty && !(table.array.isEmpty && table.isObject) {
                var items: [Yams.Node] = []
                for item in table.array { items.append(try node(item)) }
                return Yams.Node(items)
            }
            var pairs: [(Yams.Node, Yams.Node)] = []
            for (index, item) in table.array.enumerated() { pairs.append((try (index + 1).represented(), try node(item))) }
            for field in table.fields { pairs.append((try node(field.key), try node(field.value))) }
            return Yams.Node(pairs)
        }
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0.isEmpty ? "\n" : "  " + $0 + "\n" }
            .joined()
    }

    private static func clip(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 3)) + "..."
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
