/// Writes a ``PayloadArchive``: the header on creation, then whatever values are written, in order.
///
/// Types built from payloads (entries, registry changes) add their own `write` methods on top of these.
public struct PayloadArchiveWriter: Sendable {
    /// The archive so far.
    public private(set) var bytes: [UInt8]

    public init() {
        // Room for a small payload (a journal event, a call's arguments) without growing the array step by step.
        bytes = []
        bytes.reserveCapacity(96)
        bytes.append(contentsOf: PayloadArchive.magic)
        bytes.append(PayloadArchive.formatVersion)
    }

    // MARK: - Scalars

    public mutating func write(byte: UInt8) { bytes.append(byte) }

    public mutating func write(bool: Bool) { bytes.append(bool ? 1 : 0) }

    /// An unsigned LEB128 varint.
    public mutating func write(unsigned value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A zigzag varint: small magnitudes of either sign stay short.
    public mutating func write(signed value: Int64) {
        write(unsigned: UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func write(string: String) {
        var string = string
        string.withUTF8 { utf8 in
            write(unsigned: UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func write(bytes value: [UInt8]) {
        write(unsigned: UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    // MARK: - Payloads

    /// - Throws: `Invalid` when the payload nests deeper than ``PayloadArchive/maximumDepth``.
    public mutating func write(_ payload: Payload) throws(WippyError) {
        try write(payload, depth: 0)
    }

    /// A table without the leading tag (for places where only a table can appear, like entry metadata).
    public mutating func write(table: PayloadTable) throws(WippyError) {
        try write(table: table, depth: 0)
    }

    /// An error without the leading tag.
    public mutating func write(error: WippyError) throws(WippyError) {
        try write(error: error, depth: 0)
    }

    private mutating func write(_ payload: Payload, depth: Int) throws(WippyError) {
        switch payload {
        case .null:
            write(tag: .null)
        case .bool(let value):
            write(tag: value ? .true : .false)
        case .int(let value):
            write(tag: .int)
            write(signed: value)
        case .double(let value):
            write(tag: .double)
            var bits = value.bitPattern
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
            }
        case .string(let value):
            write(tag: .string)
            write(string: value)
        case .bytes(let value):
            write(tag: .bytes)
            write(bytes: value)
        case .table(let table):
            write(tag: .table)
            try write(table: table, depth: depth)
        case .reference(let index):
            write(tag: .reference)
            write(unsigned: UInt64(max(index, 0)))
        case .error(let error):
            write(tag: .error)
            try write(error: error, depth: depth)
        }
    }

    /// Writes `.map([(key, value)...])` as ``write(_:)`` would, without building the table first (the
    /// journal wraps every event body this way).
    public mutating func write(map pairs: (String, Payload)...) throws(WippyError) {
        write(tag: .table)
        write(byte: pairs.isEmpty ? 0 : 1)
        write(unsigned: 0)
        write(unsigned: UInt64(pairs.count))
        for (key, value) in pairs {
            write(tag: .string)
            write(string: key)
            try write(value, depth: 1)
        }
    }

    private mutating func write(table: PayloadTable, depth: Int) throws(WippyError) {
        guard depth < PayloadArchive.maximumDepth else {
            throw WippyError.invalid("payload archive: nesting deeper than \(PayloadArchive.maximumDepth) levels")
        }
        write(byte: table.isObject ? 1 : 0)
        write(unsigned: UInt64(table.array.count))
        for item in table.array { try write(item, depth: depth + 1) }
        write(unsigned: UInt64(table.fields.count))
        for field in table.fields {
            try write(field.key, depth: depth + 1)
            try write(field.value, depth: depth + 1)
        }
    }

    private mutating func write(error: WippyError, depth: Int) throws(WippyError) {
        guard depth < PayloadArchive.maximumDepth else {
            throw WippyError.invalid("payload archive: nesting deeper than \(PayloadArchive.maximumDepth) levels")
        }
        write(string: error.message)
        write(string: error.kind.rawValue)
        write(byte: error.retryable.map { $0 ? 2 : 1 } ?? 0)
        if let details = error.details {
            write(byte: 1)
            try write(details, depth: depth + 1)
        } else {
            write(byte: 0)
        }
        write(unsigned: UInt64(error.context.count))
        for line in error.context { write(string: line) }
    }

    private mutating func write(tag: PayloadArchive.Tag) { bytes.append(tag.rawValue) }
}
