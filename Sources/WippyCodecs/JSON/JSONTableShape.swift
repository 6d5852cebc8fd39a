import WippyCore

/// How `json.encode` writes a table that has fields: as an object, or as an array whose sequence continues in
/// integer-keyed fields.
enum JSONTableShape {
    /// Only string (or other non-positive-integer) keys, and no sequence part.
    case object
    /// Only positive integer keys in the fields, continuing the sequence part without holes. `extra` is in field
    /// order.
    case array(extra: [(key: Int64, value: Payload)])

    /// Classifies a table whose `fields` are not empty.
    ///
    /// - Throws: `cannot encode mixed-key table` when positive integer keys meet other keys, or a sequence meets
    ///   non-integer keys; `cannot encode sparse array` when the integer keys leave a hole.
    init(_ table: PayloadTable) throws(WippyError) {
        var integerKeys: [(key: Int64, value: Payload)] = []
        var otherKeys = 0
        for field in table.fields {
            if let key = Self.positiveInteger(field.key) {
                integerKeys.append((key, field.value))
            } else {
                otherKeys += 1
            }
        }
        if integerKeys.isEmpty {
            guard table.array.isEmpty else { throw .jsonMixedKeys }
            self = .object
            return
        }
        guard otherKeys == 0 else { throw .jsonMixedKeys }
        // The integer keys must be exactly n+1 ... n+m after a sequence of n.
        let base = Int64(table.array.count)
        var seen = [Bool](repeating: false, count: integerKeys.count)
        for entry in integerKeys {
            let slot = entry.key - base - 1
            guard slot >= 0, slot < Int64(seen.count), !seen[Int(slot)] else { throw .jsonSparseArray }
            seen[Int(slot)] = true
        }
        self = .array(extra: integerKeys)
    }

    /// A key that Lua treats as a positive integer (an integer, or a float with a positive integral value).
    private static func positiveInteger(_ key: Payload) -> Int64? {
        switch key {
        case .int(let number) where number > 0:
            return number
        case .double(let number) where number >= 1 && number < 9.2e18 && number.rounded(.towardZero) == number:
            return Int64(number)
        default:
            return nil
        }
    }
}
