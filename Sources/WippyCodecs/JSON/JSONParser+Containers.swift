import WippyCore

extension JSONParser {
    /// Objects with more members than this find repeated keys with a dictionary instead of a linear scan.
    private static let linearKeySearchLimit = 32

    private mutating func enterContainer() throws(WippyError) {
        depth += 1
        if depth > WippyError.jsonMaxDepth { throw .jsonDecodeDepth(offset: position) }
        position += 1
    }

    /// Parses an array; `position` is at `[`.
    mutating func parseArray() throws(WippyError) -> Payload {
        try enterContainer()
        defer { depth -= 1 }
        skipWhitespace()
        if position < input.count && input[position] == UInt8(ascii: "]") {
            position += 1
            return .table(PayloadTable())
        }
        let start = values.count
        while true {
            values.push(try parseValue())
            skipWhitespace()
            guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
            let byte = input[position]
            position += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { return .table(PayloadTable(array: values.pop(from: start))) }
            position -= 1
            throw .jsonInvalidCharacter(byte, "after array element", offset: position)
        }
    }

    /// Parses an object; `position` is at `{`.
    ///
    /// Members keep document order. A repeated key keeps its first position and takes the last value, as a Lua table
    /// filled in document order would.
    mutating func parseObject() throws(WippyError) -> Payload {
        try enterContainer()
        defer { depth -= 1 }
        skipWhitespace()
        if position < input.count && input[position] == UInt8(ascii: "}") {
            position += 1
            return .table(PayloadTable(isObject: true))
        }
        let start = fields.count
        let hashStart = keyHashes.count
        defer { keyHashes.truncate(to: hashStart) }
        var index: [String: Int]?
        while true {
            skipWhitespace()
            guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
            guard input[position] == UInt8(ascii: "\"") else {
                throw .jsonInvalidCharacter(
                    input[position], "looking for beginning of object key string", offset: position)
            }
            position += 1
            let (key, hash) = try parseKey()
            skipWhitespace()
            guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
            guard input[position] == UInt8(ascii: ":") else {
                throw .jsonInvalidCharacter(input[position], "after object key", offset: position)
            }
            position += 1
            let value = try parseValue()

            if let existing = memberIndex(of: key, hash: hash, from: start, hashStart: hashStart, index: &index) {
                fields[existing].value = value
            } else {
                fields.push(PayloadField(key: .string(key), value: value))
            }

            skipWhitespace()
            guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
            let byte = input[position]
            position += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "}") {
                return .table(PayloadTable(fields: fields.pop(from: start), isObject: true))
            }
            position -= 1
            throw .jsonInvalidCharacter(byte, "after object key:value pair", offset: position)
        }
    }

    /// The stack index of the member named `key` in the object whose members start at `start`, or `nil` after
    /// recording `key` as a new member (which the caller then pushes).
    private mutating func memberIndex(
        of key: String, hash: UInt64, from start: Int, hashStart: Int, index: inout [String: Int]?
    ) -> Int? {
        let memberCount = fields.count - start
        if index != nil {
            if let existing = index![key] { return existing }
            index![key] = fields.count
            return nil
        }
        for i in 0..<memberCount where keyHashes[hashStart + i] == hash {
            if case .string(let existingKey) = fields[start + i].key, existingKey == key { return start + i }
        }
        if memberCount >= Self.linearKeySearchLimit {
            var built = [String: Int](minimumCapacity: memberCount * 2)
            for i in 0..<memberCount {
                if case .string(let existingKey) = fields[start + i].key { built[existingKey] = start + i }
            }
            built[key] = fields.count
            index = built
        } else {
            keyHashes.push(hash)
        }
        return nil
    }
}
