extension EntryFilter {
    /// One `key = value` pair of a query, parsed.
    struct Condition: Sendable {
        enum Field: Sendable {
            case kind, namespace, name, id
            case meta(String)
        }

        enum Test: Sendable {
            /// Root fields: exact when there is no `*`, else prefix and suffix around it.
            case glob(prefix: String, suffix: String?)
            /// Metadata equality with a scalar.
            case equals(String)
            /// Metadata list containing every item.
            case containsAll([String])
            case contains(String)
            case prefix(String)
            case suffix(String)
            case regex(CompiledPattern)
        }

        let field: Field
        let test: Test
        /// Canonical text: operator, field, value.
        let key: String

        /// Parses one pair; nil when the key is no condition (neither `.`- nor `meta.`-prefixed).
        init?(key rawKey: String, value: Payload, compile: (String) throws(WippyError) -> CompiledPattern)
            throws(WippyError)
        {
            var key = Substring(rawKey)
            let operation = key.first.flatMap { "~*^$".contains($0) ? $0 : nil }
            if operation != nil { key = key.dropFirst() }
            let field: Field
            switch key {
            case ".kind": field = .kind
            case ".ns": field = .namespace
            case ".name": field = .name
            case ".id": field = .id
            default:
                guard key.hasPrefix("meta."), key.count > 5 else { return nil }
                field = .meta(String(key.dropFirst(5)))
            }
            self.field = field

            func text() throws(WippyError) -> String {
                guard let text = Condition.scalarText(value) else {
                    throw WippyError.invalid("filter key '\(rawKey)': value must be a string, number or boolean")
                }
                return text
            }
            switch operation {
            case "~":
                let pattern = try text()
                do {
                    test = .regex(try compile(pattern))
                } catch {
                    throw WippyError.invalid("filter key '\(rawKey)': \(error.message)")
                }
                self.key = "~" + key + "\u{0}" + pattern
                return
            case "*": test = .contains(try text())
            case "^": test = .prefix(try text())
            case "$": test = .suffix(try text())
            default:
                if case .meta = field {
                    if let list = value.tableValue {
                        guard list.fields.isEmpty, let items = Condition.scalarTexts(list.array) else {
                            throw WippyError.invalid("filter key '\(rawKey)': a list value must hold strings, numbers or booleans")
                        }
                        test = .containsAll(items)
                    } else {
                        test = .equals(try text())
                    }
                } else {
                    let pattern = try text()
                    if let star = pattern.firstIndex(of: "*") {
                        test = .glob(prefix: String(pattern[..<star]), suffix: String(pattern[pattern.index(after: star)...]))
                    } else {
                        test = .glob(prefix: pattern, suffix: nil)
                    }
                }
            }
            self.key = String(operation.map { String($0) } ?? "=") + key + "\u{0}" + test.canonicalValue
        }

        func matches(_ entry: Entry) -> Bool {
            switch field {
            case .kind: return matches(text: entry.kind)
            case .namespace: return matches(text: entry.id.namespace)
            case .name: return matches(text: entry.id.name)
            case .id: return matches(text: entry.id.description)
            case .meta(let name):
                guard let value = Condition.metaValue(entry.meta, name) else { return false }
                return matches(meta: value)
            }
        }

        private func matches(text: String) -> Bool {
            switch test {
            case .glob(let prefix, nil): return text == prefix
            case .glob(let prefix, let suffix?):
                return text.utf8.count >= prefix.utf8.count + suffix.utf8.count && text.hasPrefix(prefix)
                    && text.hasSuffix(suffix)
            case .equals(let wanted): return text == wanted
            case .containsAll(let items): return items.allSatisfy { $0 == text }
            case .contains(let part): return part.isEmpty || text.contains(part)
            case .prefix(let prefix): return text.hasPrefix(prefix)
            case .suffix(let suffix): return text.hasSuffix(suffix)
            case .regex(let pattern): return pattern.matches(text)
            }
        }

        private func matches(meta value: Payload) -> Bool {
            if let list = value.tableValue {
                guard list.fields.isEmpty else { return false }
                switch test {
                case .containsAll(let items):
                    let texts = list.array.compactMap(Condition.scalarText)
                    return items.allSatisfy { texts.contains($0) }
                case .contains:
                    return list.array.contains { item in Condition.scalarText(item).map(matches(text:)) ?? false }
                default:
                    return false
                }
            }
            guard let text = Condition.scalarText(value) else { return false }
            return matches(text: text)
        }

        /// The metadata field `name`: the key itself, or else the nested path its dots describe.
        static func metaValue(_ meta: PayloadTable, _ name: String) -> Payload? {
            if let value = meta[name] { return value }
            guard name.contains(".") else { return nil }
            var current = Payload.table(meta)
            for part in name.split(separator: ".", omittingEmptySubsequences: false) {
                guard let next = current[String(part)] else { return nil }
                current = next
            }
            return current
        }

        /// A scalar as YAML would write it: strings as they are, booleans `true`/`false`, numbers in decimal
        /// (a float with an integral value without a fraction). Nil for nil, tables and errors.
        static func scalarText(_ value: Payload) -> String? {
            switch value {
            case .string(let text): return text
            case .bytes: return value.stringValue
            case .bool(let flag): return flag ? "true" : "false"
            case .int(let number): return String(number)
            case .double(let number):
                if number.rounded() == number, abs(number) < 1e15 { return String(Int64(number)) }
                return String(number)
            default: return nil
            }
        }

        static func scalarTexts(_ values: [Payload]) -> [String]? {
            var texts: [String] = []
            for value in values {
                guard let text = scalarText(value) else { return nil }
                texts.append(text)
            }
            return texts
        }
    }
}

extension EntryFilter.Condition.Test {
    /// The value part of a condition's canonical key (regexes are keyed by their pattern elsewhere).
    fileprivate var canonicalValue: String {
        switch self {
        case .glob(let prefix, nil): return prefix
        case .glob(let prefix, let suffix?): return prefix + "*" + suffix
        case .equals(let text), .contains(let text), .prefix(let text), .suffix(let text): return text
        case .containsAll(let items): return "[" + items.sorted().joined(separator: "\u{2}") + "]"
        case .regex: return ""
        }
    }
}
