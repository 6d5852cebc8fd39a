import WippyCodecs
import WippyCore

/// Shorthands shared by the JSON suites.
enum JSONTestSupport {
    static func encode(_ value: Payload) throws -> String {
        try JSONCodec.encodeString(value)
    }

    static func object(_ pairs: [(String, Payload)]) -> Payload {
        .map(pairs)
    }

    /// A table with the given fields (keys of any type), in order.
    static func table(array: [Payload] = [], fields: [(Payload, Payload)]) -> Payload {
        .table(PayloadTable(array: array, fields: fields.map { PayloadField(key: $0.0, value: $0.1) }))
    }

    /// `levels` arrays nested inside each other around `0`.
    static func nestedArrays(_ levels: Int) -> Payload {
        var value: Payload = 0
        for _ in 0..<levels { value = .array([value]) }
        return value
    }

    /// The ``WippyError`` that `body` throws, or `nil` when it throws nothing (or something else).
    static func error(_ body: () throws -> Void) -> WippyError? {
        do {
            try body()
            return nil
        } catch {
            return error as? WippyError
        }
    }
}
