public import WippyCore

/// Expands `${env:...}` placeholders (``EnvPlaceholders``) in every string of an entry's data, at decode time:
/// the registry keeps the raw text and hands the expanded entry to the kind that decodes it.
///
/// - A string that is exactly one placeholder with a typed default (`${PORT|8080}`, `${env:DEBUG|false}`)
///   becomes a value of that type when the resolved text reads as one (`8080`, `false`); otherwise text.
/// - Map keys are left as they are.
/// - The `source` of Lua code entries (`*.lua` kinds) is not touched: it is code, not configuration.
public struct EnvEntryExpander: Sendable {
    public let environment: EnvironmentLookup

    public init(environment: EnvironmentLookup) { self.environment = environment }

    /// `entry` with its data's placeholders replaced (the same entry when it has none).
    ///
    /// - Throws: `Invalid` naming the field, for a `${env:NAME}` without value or default, or an unclosed one.
    public func expand(_ entry: Entry) throws(WippyError) -> Entry {
        guard Self.hasPlaceholder(entry.data) else { return entry }
        var expanded = entry
        let skipSource = entry.kind.hasSuffix(".lua")
        expanded.data = try expand(entry.data, path: "", skipSource: skipSource)
        return expanded
    }

    private func expand(_ value: Payload, path: String, skipSource: Bool) throws(WippyError) -> Payload {
        switch value {
        case .string(let text):
            guard text.contains("${") else { return value }
            do {
                return try expandField(text)
            } catch {
                throw WippyError("field '\(path)': \(error.message)", kind: error.kind, retryable: false)
            }
        case .table(var table):
            for index in table.array.indices {
                table.array[index] = try expand(table.array[index], path: "\(path)[\(index + 1)]", skipSource: false)
            }
            for index in table.fields.indices {
                let key = table.fields[index].key.stringValue ?? "?"
                if skipSource && path.isEmpty && key == "source" { continue }
                let child = path.isEmpty ? key : "\(path).\(key)"
                table.fields[index].value = try expand(table.fields[index].value, path: child, skipSource: false)
            }
            return .table(table)
        default:
            return value
        }
    }

    /// One string: whole-field placeholders with typed defaults become typed values.
    func expandField(_ text: String) throws(WippyError) -> Payload {
        let result = try EnvPlaceholders.expand(text, environment: environment)
        guard text.hasPrefix("${"), text.hasSuffix("}"), text.firstIndex(of: "}") == text.index(before: text.endIndex),
            let bar = text.firstIndex(of: "|")
        else { return .string(result) }
        let fallback = text[text.index(after: bar)..<text.index(before: text.endIndex)]
        guard let typed = Self.scalar(fallback), let value = Self.scalar(Substring(result)) else { return .string(result) }
        switch (typed, value) {
        case (.int, .int), (.bool, .bool), (.double, .double): return value
        case (.double, .int(let number)): return .double(Double(number))
        default: return .string(result)
        }
    }

    /// A YAML-like scalar read from text: integers, decimals, `true`/`false`; nil for anything else.
    static func scalar(_ text: Substring) -> Payload? {
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let number = Int64(text) { return .int(number) }
        if text.contains("."), let number = Double(text), number.isFinite { return .double(number) }
        return nil
    }

    static func hasPlaceholder(_ value: Payload) -> Bool {
        switch value {
        case .string(let text): return text.contains("${")
        case .table(let table):
            return table.array.contains(where: hasPlaceholder) || table.fields.contains { hasPlaceholder($0.value) }
        default: return false
        }
    }
}
