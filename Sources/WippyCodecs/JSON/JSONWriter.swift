import WippyCore

/// Writes a ``Payload`` as compact JSON under Wippy's `json.encode` rules (see ``JSONCodec/encode(_:)``).
///
/// When `tracksTables` is set, tables are numbered in depth-first order of first visit, the order
/// ``Payload/reference(_:)`` uses: a table gets its number on entry, then its sequence elements are visited in order,
/// then its fields in order. A reference to a table that is still being written (an ancestor) is a cycle and fails; a
/// reference to a finished table is a shared table and is written out again.
///
/// Most payloads hold no references, so ``JSONCodec`` first writes without tracking; a writer that meets a reference
/// then fails with ``needsTableTracking`` set, and the payload is written again with tracking.
struct JSONWriter {
    /// The JSON text written so far.
    var out: [UInt8] = []

    /// Every table met so far, by number.
    private var tables: [PayloadTable] = []
    /// Whether table `n` is being written (is an ancestor of the current position).
    private var inProgress: [Bool] = []
    /// While a shared table is written again, the number of the next table inside it; `nil` otherwise.
    private var replayCursor: Int?
    private var depth = 0
    /// Whether tables are numbered so that references can be resolved.
    private let tracksTables: Bool
    /// Set when a reference was met without tracking; the write must be repeated with `tracksTables`.
    private(set) var needsTableTracking = false

    init(tracksTables: Bool, capacity: Int = 256) {
        self.tracksTables = tracksTables
        out.reserveCapacity(capacity)
    }

    /// Appends `value`.
    mutating func write(_ value: Payload) throws(WippyError) {
        switch value {
        case .null: appendASCII("null")
        case .bool(let flag): appendASCII(flag ? "true" : "false")
        case .int(let number): JSONNumberFormatter.appendInteger(number, to: &out)
        case .double(let number): JSONNumberFormatter.appendDouble(number, to: &out)
        case .string(let text): writeString(text)
        case .bytes(let bytes): writeBytes(bytes)
        case .table(let table): try writeTable(table, number: tracksTables ? claimNumber(for: table) : -1)
        case .reference(let number): try writeReference(number)
        case .error(let error): writeString(error.message)
        }
    }

    /// Appends a literal such as `null` or `[]`.
    mutating func appendASCII(_ text: StaticString) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    private mutating func claimNumber(for table: PayloadTable) -> Int {
        if let cursor = replayCursor {
            replayCursor = cursor + 1
            return cursor
        }
        tables.append(table)
        inProgress.append(false)
        return tables.count - 1
    }

    private mutating func writeReference(_ number: Int) throws(WippyError) {
        guard tracksTables else {
            needsTableTracking = true
            throw .jsonRecursive
        }
        guard number >= 0, number < tables.count, !inProgress[number] else { throw .jsonRecursive }
        let saved = replayCursor
        replayCursor = number + 1
        try writeTable(tables[number], number: number)
        replayCursor = saved
    }

    private mutating func writeTable(_ table: PayloadTable, number: Int) throws(WippyError) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= WippyError.jsonMaxDepth else { throw .jsonEncodeDepth }
        if tracksTables {
            // A shared table replayed from an inconsistent payload could number past the tables met so far.
            guard number < inProgress.count else { throw .jsonRecursive }
            inProgress[number] = true
        }
        defer { if tracksTables { inProgress[number] = false } }

        if table.fields.isEmpty {
            if table.array.isEmpty {
                appendASCII(table.isObject ? "{}" : "[]")
            } else {
                try writeArray(table.array, extra: [])
            }
            return
        }
        switch try JSONTableShape(table) {
        case .object:
            try writeObject(table.fields)
        case .array(let extra):
            try writeArray(table.array, extra: extra)
        }
    }

    /// Writes `items`, then the values of `extra` fields (integer keys continuing the sequence) in key order.
    private mutating func writeArray(_ items: [Payload], extra: [(key: Int64, value: Payload)]) throws(WippyError) {
        out.append(UInt8(ascii: "["))
        var first = true
        for item in items {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            try write(item)
        }
        if extra.isEmpty {
            out.append(UInt8(ascii: "]"))
            return
        }
        // Values are visited in field order (so table numbers stay right) but written in key order.
        let sorted = zip(extra, extra.dropFirst()).allSatisfy { $0.key < $1.key }
        if sorted {
            for field in extra {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                try write(field.value)
            }
        } else {
            var rendered: [(key: Int64, text: [UInt8])] = []
            for field in extra {
                let saved = out
                out = []
                try write(field.value)
                rendered.append((field.key, out))
                out = saved
            }
            for part in rendered.sorted(by: { $0.key < $1.key }) {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(contentsOf: part.text)
            }
        }
        out.append(UInt8(ascii: "]"))
    }

    private mutating func writeObject(_ fields: [PayloadField]) throws(WippyError) {
        out.append(UInt8(ascii: "{"))
        var first = true
        for field in fields {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            try writeKey(field.key)
            out.append(UInt8(ascii: ":"))
            try write(field.value)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Writes an object key; keys that are not strings are written as their text (`0`, `-1`, `1.5`, `true`).
    private mutating func writeKey(_ key: Payload) throws(WippyError) {
        switch key {
        case .string(let text): writeString(text)
        case .bytes(let bytes): writeBytes(bytes)
        case .int(let number):
            out.append(UInt8(ascii: "\""))
            JSONNumberFormatter.appendInteger(number, to: &out)
            out.append(UInt8(ascii: "\""))
        case .double(let number):
            out.append(UInt8(ascii: "\""))
            JSONNumberFormatter.appendDouble(number, to: &out)
            out.append(UInt8(ascii: "\""))
        case .bool(let flag): appendASCII(flag ? "\"true\"" : "\"false\"")
        case .null: throw .jsonKeyType("nil")
        case .table, .reference: throw .jsonKeyType("table")
        case .error: throw .jsonKeyType("error")
        }
    }
}
