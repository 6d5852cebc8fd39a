import WippyCore

/// One validation run of a ``JSONSchema``: walks the instance and the schema together and collects problems
/// as `<instance pointer>: <what is wrong>`.
struct JSONSchemaValidation {
    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]

    let schema: JSONSchema
    let limit: Int
    private(set) var problems: [String] = []

    init(schema: JSONSchema, limit: Int) {
        self.schema = schema
        self.limit = limit
    }

    /// True when `instance` is valid against `node`, without recording problems (for anyOf, oneOf, not, if).
    private func passes(_ instance: Payload, _ node: Payload, at path: String, schemaPath: String, depth: Int) -> Bool {
        var probe = JSONSchemaValidation(schema: schema, limit: 1)
        probe.validate(instance, against: node, at: path, schemaPath: schemaPath, depth: depth)
        return probe.problems.isEmpty
    }

    private mutating func fail(_ path: String, _ message: String) {
        guard problems.count < limit else { return }
        problems.append("\(path.isEmpty ? "/" : path): \(message)")
    }

    mutating func validate(_ instance: Payload, against node: Payload, at path: String, schemaPath: String, depth: Int) {
        guard problems.count < limit else { return }
        guard depth < 300 else { return fail(path, "schema recursion too deep at \(schemaPath)") }
        if case .bool(let allowed) = node {
            if !allowed { fail(path, "no value is allowed here (\(schemaPath) is false)") }
            return
        }
        guard let keywords = node.tableValue else { return }
        if let reference = keywords["$ref"]?.stringValue, let target = JSONSchema.resolve(reference, in: schema.root) {
            validate(instance, against: target, at: path, schemaPath: reference, depth: depth + 1)
        }
        if let type = keywords["type"] { checkType(instance, type, at: path) }
        if let options = keywords["enum"]?.tableValue, !options.array.contains(where: { Self.equal($0, instance) }) {
            fail(path, "value is not one of the allowed values")
        }
        if let constant = keywords["const"], !Self.equal(constant, instance) { fail(path, "value must be \(constant)") }
        switch instance {
        case .int, .double: checkNumber(instance.doubleValue ?? 0, keywords, at: path)
        case .string(let text): checkString(text, keywords, at: path)
        case .bytes(let bytes): checkString(String(decoding: bytes, as: UTF8.self), keywords, at: path)
        case .table(let table):
            if Self.isObject(table) {
                checkObject(table, keywords, at: path, schemaPath: schemaPath, depth: depth)
            } else {
                checkArray(table.array, keywords, at: path, schemaPath: schemaPath, depth: depth)
            }
        default: break
        }
        checkCombinators(instance, keywords, at: path, schemaPath: schemaPath, depth: depth)
    }

    // MARK: - Type and values

    static func isObject(_ table: PayloadTable) -> Bool { table.isObject || !table.fields.isEmpty }

    static func typeName(of value: Payload) -> String {
        switch value {
        case .null, .reference: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double(let number): return number.rounded() == number && number.isFinite ? "integer" : "number"
        case .string, .bytes, .error: return "string"
        case .table(let table): return isObject(table) ? "object" : "array"
        }
    }

    private mutating func checkType(_ instance: Payload, _ type: Payload, at path: String) {
        let allowed = type.stringValue.map { [$0] } ?? type.tableValue?.array.compactMap(\.stringValue) ?? []
        let actual = Self.typeName(of: instance)
        let matches = allowed.contains { $0 == actual || ($0 == "number" && actual == "integer") }
        if !matches { fail(path, "expected \(allowed.joined(separator: " or ")), got \(actual)") }
    }

    /// JSON equality: numbers by value (1 == 1.0), objects whatever the order of their keys.
    static func equal(_ a: Payload, _ b: Payload) -> Bool {
        switch (a, b) {
        case (.int, .int), (.int, .double), (.double, .int), (.double, .double):
            return a.doubleValue == b.doubleValue
        case (.table(let x), .table(let y)):
            guard isObject(x) == isObject(y), x.array.count == y.array.count, x.fields.count == y.fields.count else { return false }
            guard zip(x.array, y.array).allSatisfy(equal) else { return false }
            return x.fields.allSatisfy { field in
                y.fields.contains { $0.key.stringValue == field.key.stringValue && equal($0.value, field.value) }
            }
        case (.string, .string), (.string, .bytes), (.bytes, .string), (.bytes, .bytes):
            return a.stringValue == b.stringValue
        default:
            return a == b
        }
    }

    private mutating func checkNumber(_ value: Double, _ keywords: PayloadTable, at path: String) {
        if let minimum = keywords["minimum"]?.doubleValue {
            if keywords["exclusiveMinimum"]?.boolValue == true ? value <= minimum : value < minimum {
                fail(path, "must be \(keywords["exclusiveMinimum"]?.boolValue == true ? ">" : ">=") \(Self.number(minimum))")
            }
        }
        if let maximum = keywords["maximum"]?.doubleValue {
            if keywords["exclusiveMaximum"]?.boolValue == true ? value >= maximum : value > maximum {
                fail(path, "must be \(keywords["exclusiveMaximum"]?.boolValue == true ? "<" : "<=") \(Self.number(maximum))")
            }
        }
        if let bound = keywords["exclusiveMinimum"]?.doubleValue, value <= bound { fail(path, "must be > \(Self.number(bound))") }
        if let bound = keywords["exclusiveMaximum"]?.doubleValue, value >= bound { fail(path, "must be < \(Self.number(bound))") }
        if let divisor = keywords["multipleOf"]?.doubleValue, divisor > 0 {
            let quotient = value / divisor
            if !quotient.isFinite || abs(quotient - quotient.rounded()) > 1e-9 * max(1, abs(quotient)) {
                fail(path, "must be a multiple of \(Self.number(divisor))")
            }
        }
    }

    static func number(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private mutating func checkString(_ text: String, _ keywords: PayloadTable, at path: String) {
        let length = text.unicodeScalars.count
        if let minimum = keywords["minLength"]?.doubleValue, Double(length) < minimum {
            fail(path, "length must be >= \(Self.number(minimum)), got \(length)")
        }
        if let maximum = keywords["maxLength"]?.doubleValue, Double(length) > maximum {
            fail(path, "length must be <= \(Self.number(maximum)), got \(length)")
        }
        if let pattern = keywords["pattern"]?.stringValue, let expression = schema.expressions[pattern],
            (try? expression.firstMatch(in: text)) == nil
        {
            fail(path, "does not match pattern \(pattern)")
        }
        if let format = keywords["format"]?.stringValue, !JSONSchemaFormats.matches(text, format: format) {
            fail(path, "is not a valid \(format)")
        }
    }

    // MARK: - Arrays and objects

    private mutating func checkArray(_ items: [Payload], _ keywords: PayloadTable, at path: String, schemaPath: String, depth: Int) {
        if let minimum = keywords["minItems"]?.doubleValue, Double(items.count) < minimum {
            fail(path, "must have at least \(Self.number(minimum)) items, got \(items.count)")
        }
        if let maximum = keywords["maxItems"]?.doubleValue, Double(items.count) > maximum {
            fail(path, "must have at most \(Self.number(maximum)) items, got \(items.count)")
        }
        if keywords["uniqueItems"]?.boolValue == true {
            outer: for first in items.indices {
                for second in items.indices where second > first && Self.equal(items[first], items[second]) {
                    fail(path, "items \(first) and \(second) are equal")
                    break outer
                }
            }
        }
        var tuple: [Payload] = keywords["prefixItems"]?.tableValue?.array ?? []
        var rest: Payload? = nil
        if let items = keywords["items"] {
            if let list = items.tableValue, !Self.isObject(list) {
                tuple = list.array
                rest = keywords["additionalItems"]
            } else {
                rest = items
            }
        }
        for (offset, item) in items.enumerated() {
            let here = "\(path)/\(offset)"
            if offset < tuple.count {
                validate(item, against: tuple[offset], at: here, schemaPath: "\(schemaPath)/items/\(offset)", depth: depth + 1)
            } else if let rest {
                validate(item, against: rest, at: here, schemaPath: "\(schemaPath)/items", depth: depth + 1)
            }
        }
        if let contains = keywords["contains"] {
            let count = items.enumerated().filter { passes($0.element, contains, at: "\(path)/\($0.offset)", schemaPath: schemaPath, depth: depth + 1) }.count
            let minimum = keywords["minContains"]?.doubleValue ?? 1
            if Double(count) < minimum { fail(path, "must contain at least \(Self.number(minimum)) matching item(s), has \(count)") }
            if let maximum = keywords["maxContains"]?.doubleValue, Double(count) > maximum {
                fail(path, "must contain at most \(Self.number(maximum)) matching item(s), has \(count)")
            }
        }
    }

    private mutating func checkObject(_ table: PayloadTable, _ keywords: PayloadTable, at path: String, schemaPath: String, depth: Int) {
        var members: [(String, Payload)] = table.fields.map { ($0.key.stringValue ?? $0.key.description, $0.value) }
        for (offset, item) in table.array.enumerated() { members.append((String(offset + 1), item)) }
        let names = Set(members.map(\.0))
        if let minimum = keywords["minProperties"]?.doubleValue, Double(members.count) < minimum {
            fail(path, "must have at least \(Self.number(minimum)) properties")
        }
        if let maximum = keywords["maxProperties"]?.doubleValue, Double(members.count) > maximum {
            fail(path, "must have at most \(Self.number(maximum)) properties")
        }
        for name in keywords["required"]?.tableValue?.array.compactMap(\.stringValue) ?? [] where !names.contains(name) {
            fail(path, "missing required property \(name)")
        }
        let properties = keywords["properties"]?.tableValue
        let patterns = keywords["patternProperties"]?.tableValue?.fields.compactMap { field -> (Regex<AnyRegexOutput>, Payload)? in
            guard let source = field.key.stringValue, let expression = schema.expressions[source] else { return nil }
            return (expression, field.value)
        } ?? []
        for (name, value) in members {
            let here = "\(path)/\(Self.escape(name))"
            var matched = false
            if let property = properties?[name] {
                matched = true
                validate(value, against: property, at: here, schemaPath: "\(schemaPath)/properties/\(name)", depth: depth + 1)
            }
            for (expression, node) in patterns where (try? expression.firstMatch(in: name)) != nil {
                matched = true
                validate(value, against: node, at: here, schemaPath: "\(schemaPath)/patternProperties", depth: depth + 1)
            }
            if !matched, let additional = keywords["additionalProperties"] {
                if additional.boolValue == false {
                    fail(here, "property is not allowed")
                } else {
                    validate(value, against: additional, at: here, schemaPath: "\(schemaPath)/additionalProperties", depth: depth + 1)
                }
            }
            if let nameSchema = keywords["propertyNames"] {
                validate(.string(name), against: nameSchema, at: here, schemaPath: "\(schemaPath)/propertyNames", depth: depth + 1)
            }
        }
        for keyword in ["dependencies", "dependentRequired", "dependentSchemas"] {
            for dependency in keywords[keyword]?.tableValue?.fields ?? [] {
                guard let name = dependency.key.stringValue, names.contains(name) else { continue }
                if let list = dependency.value.tableValue, !Self.isObject(list) {
                    for needed in list.array.compactMap(\.stringValue) where !names.contains(needed) {
                        fail(path, "property \(name) requires property \(needed)")
                    }
                } else {
                    validate(.table(table), against: dependency.value, at: path, schemaPath: "\(schemaPath)/\(keyword)/\(name)", depth: depth + 1)
                }
            }
        }
    }

    static func escape(_ name: String) -> String {
        name.contains("/") || name.contains("~")
            ? String(name.flatMap { $0 == "~" ? Array("~0") : $0 == "/" ? Array("~1") : [$0] }) : name
    }

    // MARK: - Combinators

    private mutating func checkCombinators(_ instance: Payload, _ keywords: PayloadTable, at path: String, schemaPath: String, depth: Int) {
        for (offset, node) in (keywords["allOf"]?.tableValue?.array ?? []).enumerated() {
            validate(instance, against: node, at: path, schemaPath: "\(schemaPath)/allOf/\(offset)", depth: depth + 1)
        }
        if let options = keywords["anyOf"]?.tableValue?.array,
            !options.contains(where: { passes(instance, $0, at: path, schemaPath: schemaPath, depth: depth + 1) })
        {
            fail(path, "does not match any schema of anyOf")
        }
        if let options = keywords["oneOf"]?.tableValue?.array {
            let matching = options.filter { passes(instance, $0, at: path, schemaPath: schemaPath, depth: depth + 1) }.count
            if matching != 1 { fail(path, "must match exactly one schema of oneOf, matches \(matching)") }
        }
        if let negated = keywords["not"], passes(instance, negated, at: path, schemaPath: schemaPath, depth: depth + 1) {
            fail(path, "must not match the schema of not")
        }
        if let condition = keywords["if"] {
            if passes(instance, condition, at: path, schemaPath: schemaPath, depth: depth + 1) {
                if let then = keywords["then"] { validate(instance, against: then, at: path, schemaPath: "\(schemaPath)/then", depth: depth + 1) }
            } else if let otherwise = keywords["else"] {
                validate(instance, against: otherwise, at: path, schemaPath: "\(schemaPath)/else", depth: depth + 1)
            }
        }
    }
}
