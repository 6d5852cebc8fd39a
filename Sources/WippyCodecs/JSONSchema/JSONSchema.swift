public import WippyCore
import Synchronization

/// A compiled JSON Schema (the draft 7 / 2019-09 / 2020-12 vocabulary that matters in practice), validating
/// ``WippyCore/Payload`` values as JSON: `json.validate` (lua-api-core §16.1).
///
/// Keywords: `type`, `enum`, `const`; `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (number or
/// draft-4 boolean form), `multipleOf`; `minLength`, `maxLength` (in code points), `pattern`, `format`
/// (`date-time`, `date`, `time`, `email`, `hostname`, `ipv4`, `ipv6`, `uri`, `uuid`; others pass); `items`
/// (schema or tuple), `prefixItems`, `additionalItems`, `minItems`, `maxItems`, `uniqueItems`, `contains`,
/// `minContains`, `maxContains`; `properties`, `patternProperties`, `additionalProperties`, `required`,
/// `minProperties`, `maxProperties`, `propertyNames`, `dependencies`, `dependentRequired`,
/// `dependentSchemas`; `allOf`, `anyOf`, `oneOf`, `not`, `if`/`then`/`else`; `$ref` to a JSON pointer in the
/// same schema (`#`, `#/definitions/x`, `#/$defs/x`). Boolean schemas `true`/`false` work anywhere.
///
/// A table is an object when it has fields or is marked as one, else an array (callers converting Lua
/// values apply Wippy's table rule first, see ``JSONSchema/jsonShaped(_:)``).
public final class JSONSchema: @unchecked Sendable {
    let root: Payload
    /// Compiled `pattern` and `patternProperties` expressions by their source.
    let expressions: [String: Regex<AnyRegexOutput>]

    /// Compiles `schema`.
    ///
    /// - Throws: `Invalid` when the schema is not an object or boolean, a keyword has the wrong type, a
    ///   pattern does not compile or a `$ref` points nowhere.
    public init(_ schema: Payload) throws(WippyError) {
        root = schema
        var expressions: [String: Regex<AnyRegexOutput>] = [:]
        try JSONSchema.check(schema, path: "#", root: schema, expressions: &expressions, depth: 0)
        self.expressions = expressions
    }

    /// The problems of `instance`, at most `limit` of them (empty when it is valid).
    public func violations(of instance: Payload, limit: Int = 10) -> [String] {
        var validation = JSONSchemaValidation(schema: self, limit: limit)
        validation.validate(instance, against: root, at: "", schemaPath: "#", depth: 0)
        return validation.problems
    }

    /// Validates `instance`; throws `Invalid` naming the problems.
    public func validate(_ instance: Payload) throws(WippyError) {
        let problems = violations(of: instance)
        guard !problems.isEmpty else { return }
        throw WippyError("validation failed: " + problems.joined(separator: "; "), kind: .invalid, retryable: false)
    }

    // MARK: - Cache

    private static let cache = Mutex(LRUCache<String, JSONSchema>(capacity: 100))

    /// The compiled schema for `schema`, from a cache of the last 100 schemas (keyed by their JSON text).
    public static func compiled(_ schema: Payload) throws(WippyError) -> JSONSchema {
        let key: String
        do {
            key = try JSONCodec.encodeString(schema)
        } catch {
            throw WippyError("invalid schema: \(error.message)", kind: .invalid, retryable: false)
        }
        if let found = cache.withLock({ $0.value(for: key) }) { return found }
        let made = try JSONSchema(schema)
        cache.withLock { $0.insert(made, for: key) }
        return made
    }

    // MARK: - Compiling

    static let schemaKeywords = ["not", "if", "then", "else", "additionalProperties", "additionalItems", "contains", "propertyNames", "items"]
    static let schemaListKeywords = ["allOf", "anyOf", "oneOf", "prefixItems", "items"]
    static let schemaMapKeywords = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"]

    private static func check(
        _ schema: Payload, path: String, root: Payload, expressions: inout [String: Regex<AnyRegexOutput>], depth: Int
    ) throws(WippyError) {
        guard depth < Payload.maximumDepth else { throw invalid("schema nested too deeply at \(path)") }
        if case .bool = schema { return }
        guard let table = schema.tableValue, table.isObject || table.isEmpty else {
            throw invalid("schema at \(path) must be an object or a boolean")
        }
        for field in table.fields {
            guard case .string(let keyword) = field.key else { continue }
            let value = field.value
            let here = "\(path)/\(keyword)"
            switch keyword {
            case _ where schemaKeywords.contains(keyword) && (value.tableValue?.isObject == true || value.boolValue != nil):
                try check(value, path: here, root: root, expressions: &expressions, depth: depth + 1)
            case _ where schemaListKeywords.contains(keyword):
                guard let list = value.tableValue, !list.isObject else { throw invalid("\(here) must be an array of schemas") }
                for (offset, item) in list.array.enumerated() {
                    try check(item, path: "\(here)/\(offset)", root: root, expressions: &expressions, depth: depth + 1)
                }
            case _ where schemaMapKeywords.contains(keyword):
                guard let map = value.tableValue else { throw invalid("\(here) must be an object") }
                for entry in map.fields {
                    let name = entry.key.stringValue ?? entry.key.description
                    if keyword == "patternProperties" { try compile(name, at: here, into: &expressions) }
                    try check(entry.value, path: "\(here)/\(name)", root: root, expressions: &expressions, depth: depth + 1)
                }
            case "dependencies":
                guard let map = value.tableValue else { throw invalid("\(here) must be an object") }
                for entry in map.fields where entry.value.tableValue?.isObject == true || entry.value.boolValue != nil {
                    try check(entry.value, path: "\(here)/\(entry.key)", root: root, expressions: &expressions, depth: depth + 1)
                }
            case "pattern":
                guard let source = value.stringValue else { throw invalid("\(here) must be a string") }
                try compile(source, at: here, into: &expressions)
            case "type":
                let names = value.stringValue.map { [$0] } ?? value.tableValue?.array.compactMap(\.stringValue) ?? []
                guard !names.isEmpty, names.allSatisfy(JSONSchemaValidation.typeNames.contains) else {
                    throw invalid("\(here) must name JSON types")
                }
            case "required":
                guard let list = value.tableValue, list.array.allSatisfy({ $0.stringValue != nil }), list.fields.isEmpty else {
                    throw invalid("\(here) must be an array of strings")
                }
            case "enum":
                guard value.tableValue != nil else { throw invalid("\(here) must be an array") }
            case "minimum", "maximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
                "maxProperties", "minContains", "maxContains":
                guard value.doubleValue != nil else { throw invalid("\(here) must be a number") }
                if keyword == "multipleOf", (value.doubleValue ?? 0) <= 0 { throw invalid("\(here) must be greater than 0") }
            case "$ref":
                guard let reference = value.stringValue else { throw invalid("\(here) must be a string") }
                guard resolve(reference, in: root) != nil else { throw invalid("\(here): cannot resolve \(reference)") }
            default:
                break
            }
        }
    }

    private static func compile(_ source: String, at path: String, into expressions: inout [String: Regex<AnyRegexOutput>]) throws(WippyError) {
        guard expressions[source] == nil else { return }
        do {
            expressions[source] = try Regex(source)
        } catch {
            throw invalid("\(path): invalid pattern \(source)")
        }
    }

    /// The schema a `$ref` names: `#` or a JSON pointer into the root (`#/definitions/a`, `#/$defs/a`).
    static func resolve(_ reference: String, in root: Payload) -> Payload? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        let pointer = reference.dropFirst()
        guard !pointer.isEmpty else { return node }
        guard pointer.hasPrefix("/") else { return nil }
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = String(raw).removingPercentEscapes.replacingOccurrences("~1", "/").replacingOccurrences("~0", "~")
            guard let table = node.tableValue else { return nil }
            if let value = table[token] {
                node = value
            } else if let index = Int(token), index >= 0, index < table.array.count {
                node = table.array[index]
            } else {
                return nil
            }
        }
        return node
    }

    static func invalid(_ message: String) -> WippyError {
        WippyError("invalid schema: \(message)", kind: .invalid, retryable: false)
    }

    // MARK: - Lua-shaped values

    /// `value` with Wippy's rule for tables that are not marked as JSON objects applied (lua-api-core §S9): a
    /// table with positive integer keys is an array `1...max` (other keys dropped, holes null), any other table
    /// an object (keys as text). Marked objects and arrays decoded from JSON keep their shape.
    public static func jsonShaped(_ value: Payload) -> Payload {
        guard case .table(let table) = value else { return value }
        var integerKeys: [(Int64, Payload)] = []
        for field in table.fields {
            if case .int(let key) = field.key, key > 0 { integerKeys.append((key, field.value)) }
        }
        if !table.array.isEmpty || !integerKeys.isEmpty {
            let top = max(Int64(table.array.count), integerKeys.map(\.0).max() ?? 0)
            guard top <= 1 << 20 else { return .table(PayloadTable(array: table.array.map(jsonShaped))) }
            var items = table.array.map(jsonShaped)
            items.reserveCapacity(Int(top))
            while items.count < Int(top) { items.append(.null) }
            for (key, item) in integerKeys where key > Int64(table.array.count) { items[Int(key - 1)] = jsonShaped(item) }
            return .table(PayloadTable(array: items))
        }
        var object = PayloadTable(isObject: true)
        for field in table.fields {
            let key: String
            switch field.key {
            case .string(let text): key = text
            case .int(let number): key = String(number)
            default: key = field.key.description
            }
            object.fields.append(PayloadField(key: .string(key), value: jsonShaped(field.value)))
        }
        return .table(object)
    }
}

extension String {
    fileprivate func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        guard contains(target) else { return self }
        return split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }

    fileprivate var removingPercentEscapes: String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var iterator = utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
