import WippyCore

/// A recursive-descent JSON parser producing ``Payload`` values under Wippy's `json.decode` rules (see
/// ``JSONCodec/decode(_:)-([UInt8])``).
///
/// The parser reads straight from a byte buffer that must stay valid while it runs. It owns its work stacks, so it is
/// noncopyable.
struct JSONParser: ~Copyable {
    let input: UnsafeBufferPointer<UInt8>
    var position = 0
    var depth = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []
    /// Elements of the arrays being parsed, innermost last.
    var values = JSONStack<Payload>()
    /// Members of the objects being parsed, innermost last.
    var fields = JSONStack<PayloadField>()
    /// FNV-1a hashes of the keys in `fields`, for finding repeated keys cheaply.
    var keyHashes = JSONStack<UInt64>()
    /// Recently created object keys, reused when the same key appears again.
    var keyCache = JSONKeyCache()
    /// Whether to use ``keyCache``: only inputs large enough to repeat keys make up for setting it up.
    let cachesKeys: Bool

    /// Inputs from this size on use the key cache.
    static let keyCacheThreshold = 4096

    init(_ input: UnsafeBufferPointer<UInt8>) {
        self.input = input
        cachesKeys = input.count >= Self.keyCacheThreshold
    }

    /// Parses one JSON text: a value with optional whitespace around it and nothing else.
    mutating func parseDocument() throws(WippyError) -> Payload {
        let value = try parseValue()
        skipWhitespace()
        if position < input.count {
            throw .jsonInvalidCharacter(input[position], "after top-level value", offset: position)
        }
        return value
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x0a, 0x0d, 0x09: position += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(WippyError) -> Payload {
        skipWhitespace()
        guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
        let byte = input[position]
        switch byte {
        case UInt8(ascii: "\""):
            position += 1
            return .string(try parseStringBody())
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        default:
            throw .jsonInvalidCharacter(byte, "looking for beginning of value", offset: position)
        }
    }

    /// Consumes the literal `true`, `false` or `null` whose first byte is at `position`.
    private mutating func expectLiteral(_ literal: StaticString) throws(WippyError) {
        let length = literal.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: length)
        for offset in 0..<length {
            guard position < input.count else { throw .jsonUnexpectedEnd(offset: position) }
            let byte = input[position]
            guard byte == expected[offset] else {
                let name = String(decoding: expected, as: UTF8.self)
                let wanted = String(UnicodeScalar(expected[offset]))
                throw .jsonInvalidCharacter(byte, "in literal \(name) (expecting '\(wanted)')", offset: position)
            }
            position += 1
        }
    }
}
