import WippyCore

extension WippyError {
    /// The nesting limit of `json.encode` and `json.decode`.
    static let jsonMaxDepth = 128

    /// `json.encode` met a table with both sequence and non-sequence keys.
    static var jsonMixedKeys: WippyError { .internal("cannot encode mixed-key table") }

    /// `json.encode` met integer keys with holes.
    static var jsonSparseArray: WippyError { .internal("cannot encode sparse array") }

    /// `json.encode` met a table that contains itself.
    static var jsonRecursive: WippyError { .internal("cannot encode recursive table") }

    /// `json.encode` met a table key that has no JSON form (a table, nil or an error).
    static func jsonKeyType(_ type: String) -> WippyError { .internal("cannot encode table key of type \(type)") }

    /// Nesting deeper than ``jsonMaxDepth`` while encoding.
    static var jsonEncodeDepth: WippyError { .internal("json: nesting depth exceeds \(jsonMaxDepth)") }

    /// Nesting deeper than ``jsonMaxDepth`` while decoding, at byte `offset`.
    static func jsonDecodeDepth(offset: Int) -> WippyError {
        .internal("json: nesting depth exceeds \(jsonMaxDepth) at offset \(offset)")
    }

    /// A syntax error while decoding: `description` in Go's wording, `offset` the 0-based byte position.
    static func jsonSyntax(_ description: String, offset: Int) -> WippyError {
        .internal("json: \(description) at offset \(offset)")
    }

    /// Go's `invalid character 'x' <context>` syntax error.
    static func jsonInvalidCharacter(_ byte: UInt8, _ context: String, offset: Int) -> WippyError {
        jsonSyntax("invalid character \(quotedCharacter(byte)) \(context)", offset: offset)
    }

    /// Go's `unexpected end of JSON input`.
    static func jsonUnexpectedEnd(offset: Int) -> WippyError {
        jsonSyntax("unexpected end of JSON input", offset: offset)
    }

    /// A byte quoted for an error message, as Go's JSON scanner shows it (`'x'`, `'\n'`, `'\x01'`).
    private static func quotedCharacter(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "'"): return #"'\''"#
        case UInt8(ascii: "\n"): return #"'\n'"#
        case UInt8(ascii: "\r"): return #"'\r'"#
        case UInt8(ascii: "\t"): return #"'\t'"#
        case 0x20..<0x7f: return "'" + String(UnicodeScalar(byte)) + "'"
        case 0xa0...: return "'" + String(UnicodeScalar(byte)) + "'"
        default:
            let hex = String(byte, radix: 16)
            return #"'\x"# + (hex.count == 1 ? "0" + hex : hex) + "'"
        }
    }
}
