public import WippyCore

/// JSON as the Lua `json` module sees it: ``Payload`` values in, compact JSON text out, and back.
///
/// ## Encoding
/// - `nil` → `null`; booleans; integers exactly; floats as ``formatNumber(_:)`` describes (NaN and ±Inf → `null`).
/// - Strings are escaped like Go's `encoding/json` without HTML escaping: `"`, `\`, control characters
///   (`\n`, `\t`, `\u001f`, …), U+2028 and U+2029; `/ < > &` stay as they are. Bytes of a ``Payload/bytes(_:)``
///   string that are not well-formed UTF-8 are written as `\ufffd`.
/// - A table with only a sequence part → array. A table with only string keys (non-positive integers, non-integral
///   floats and booleans count as strings and are written as their text) → object, keys in `fields` order. Integer
///   keys in `fields` that continue the sequence without holes extend the array.
/// - A sequence or positive integer keys together with other keys → `cannot encode mixed-key table`; integer keys
///   with holes (including `{[2]=x}`) → `cannot encode sparse array`.
/// - An empty table → `[]`, or `{}` when ``PayloadTable/isObject`` is set (it came from a JSON object).
/// - A ``Payload/reference(_:)`` to a table that is being written (a cycle) → `cannot encode recursive table`. A
///   reference to a finished table (the same table reached twice) writes that table again.
/// - Nesting deeper than 128 tables → `json: nesting depth exceeds 128`.
/// - ``Payload/error(_:)`` → its message as a string.
///
/// All encoding errors are ``WippyError``s of kind ``ErrorKind/internal``.
///
/// ## Decoding
/// - Numbers without `.` or exponent that fit in `Int64` → ``Payload/int(_:)``; all other numbers (including
///   integers too big for `Int64`) → ``Payload/double(_:)``.
/// - `null` → ``Payload/null`` (kept in place inside arrays and as object member values).
/// - Objects → tables with `isObject` set and fields in document order (a repeated key keeps its first position
///   and its last value); arrays → tables with only a sequence part.
/// - Strings are always ``Payload/string(_:)``: invalid UTF-8 and unpaired surrogate escapes become U+FFFD.
///
/// The concurrency contract is trivial: everything here is a pure function of its arguments.
public enum JSONCodec {
    /// Encodes `value` as compact JSON (no spaces or newlines).
    ///
    /// - Returns: UTF-8 JSON text.
    /// - Throws: ``WippyError`` of kind ``ErrorKind/internal``: `cannot encode mixed-key table`,
    ///   `cannot encode sparse array`, `cannot encode recursive table`, `json: nesting depth exceeds 128`, or
    ///   `cannot encode table key of type …` for a table, nil or error used as a key.
    public static func encode(_ value: Payload) throws(WippyError) -> [UInt8] {
        var writer = JSONWriter(tracksTables: false)
        do {
            try writer.write(value)
            return writer.out
        } catch where writer.needsTableTracking {
            var tracking = JSONWriter(tracksTables: true)
            try tracking.write(value)
            return tracking.out
        }
    }

    /// Encodes `value` as compact JSON text; see ``encode(_:)``.
    public static func encodeString(_ value: Payload) throws(WippyError) -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    /// Decodes one JSON text.
    ///
    /// - Parameter bytes: UTF-8 JSON; whitespace (space, tab, CR, LF) may surround the value, nothing else may.
    /// - Returns: The value, converted as described in ``JSONCodec``.
    /// - Throws: ``WippyError`` of kind ``ErrorKind/invalid`` `empty string is not valid JSON` for an empty input;
    ///   of kind ``ErrorKind/internal`` for a syntax error (Go's wording plus `at offset N`, the 0-based byte
    ///   position), a number out of `Double` range, or nesting deeper than 128.
    public static func decode(_ bytes: [UInt8]) throws(WippyError) -> Payload {
        guard !bytes.isEmpty else { throw .invalid("empty string is not valid JSON") }
        return try bytes.withUnsafeBufferPointer { (buffer) throws(WippyError) -> Payload in
            var parser = JSONParser(buffer)
            return try parser.parseDocument()
        }
    }

    /// Decodes one JSON text given as a string; see ``decode(_:)-([UInt8])``.
    public static func decode(_ text: String) throws(WippyError) -> Payload {
        guard !text.isEmpty else { throw .invalid("empty string is not valid JSON") }
        let result: Result<Payload, WippyError>? = text.utf8.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(buffer)
            do throws(WippyError) {
                return .success(try parser.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        if let result { return try result.get() }
        return try decode(Array(text.utf8))
    }

    /// A float as `json.encode` writes it.
    ///
    /// An integral value below 2^53 in magnitude is written without a decimal point (`4.0` → `4`, `-0.0` → `0`).
    /// Other values use the shortest digits that read back as the same `Double`, in plain decimal notation unless
    /// the magnitude is below 1e-6 or at least 1e21, where Go's `encoding/json` exponent form is used (`1e-7`,
    /// `1.5e-10`, `1e+21`). NaN and ±Inf give `null`.
    public static func formatNumber(_ value: Double) -> String {
        JSONNumberFormatter.string(value)
    }
}
