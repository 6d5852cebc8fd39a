/// One key/value pair of a ``PayloadTable``'s non-sequence part.
public struct PayloadField: Sendable, Equatable {
    public var key: Payload
    public var value: Payload

    public init(key: Payload, value: Payload) {
        self.key = key
        self.value = value
    }
}

/// A table: a sequence part (Lua keys `1...n`, a JSON/YAML list) and the other fields in insertion order.
///
/// `isObject` remembers that a table came from a JSON or YAML *object*, so that an empty one is written back
/// as `{}` rather than `[]`.
public struct PayloadTable: Sendable, Equatable {
    public var array: [Payload]
    public var fields: [PayloadField]
    public var isObject: Bool

    public init(array: [Payload] = [], fields: [PayloadField] = [], isObject: Bool = false) {
        self.array = array
        self.fields = fields
        self.isObject = isObject || !fields.isEmpty
    }

    public var isEmpty: Bool { array.isEmpty && fields.isEmpty }

    /// The value under a string key (linear search: tables in payloads are small).
    public subscript(key: String) -> Payload? {
        get {
            for field in fields {
                if case .string(let k) = field.key, k == key { return field.value }
            }
            return nil
        }
        set {
            if let index = fields.firstIndex(where: { if case .string(let k) = $0.key { return k == key } else { return false } }) {
                if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
            } else if let newValue {
                fields.append(PayloadField(key: .string(key), value: newValue))
                isObject = true
            }
        }
    }

    /// The string-keyed fields as pairs, in order.
    public var stringFields: [(String, Payload)] {
        fields.compactMap { field in
            if case .string(let k) = field.key { return (k, field.value) }
            return nil
        }
    }

    /// Two tables are equal when they hold the same values, whatever the order of their fields.
    public static func == (lhs: PayloadTable, rhs: PayloadTable) -> Bool {
        guard lhs.array == rhs.array, lhs.fields.count == rhs.fields.count else { return false }
        if lhs.fields == rhs.fields { return true }
        for field in lhs.fields where !rhs.fields.contains(field) { return false }
        return true
    }
}

extension PayloadTable: CustomStringConvertible {
    public var description: String {
        var parts = array.map(\.description)
        parts += fields.map { "\($0.key)=\($0.value)" }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
