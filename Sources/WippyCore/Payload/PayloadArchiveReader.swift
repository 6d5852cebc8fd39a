/// Reads a ``PayloadArchive`` back, checking everything: every failure is an `Invalid` error that says what
/// was expected and at which byte, so a damaged file is reported rather than crashing the reader.
public struct PayloadArchiveReader: Sendable {
    private let bytes: [UInt8]
    /// Offset of the next byte to read.
    public private(set) var position: Int

    /// Checks the header.
    ///
    /// - Throws: `Invalid` when the data is not an archive or has a format version this build cannot read.
    public init(_ bytes: [UInt8]) throws(WippyError) {
        self.bytes = bytes
        position = 0
        let header = PayloadArchive.magic.count
        guard bytes.count > header, Array(bytes[0..<header]) == PayloadArchive.magic else {
            throw WippyError.invalid("payload archive: not an archive (missing the WPA header)")
        }
        let version = bytes[header]
        guard version == PayloadArchive.formatVersion else {
            throw WippyError.invalid(
                "payload archive: format version \(version) is not supported (this build reads version \(PayloadArchive.formatVersion))")
        }
        position = header + 1
    }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - position }

    /// Checks that the whole archive was read.
    public func finish() throws(WippyError) {
        guard position == bytes.count else { throw failure("\(remaining) unexpected bytes after the end of the archive") }
    }

    // MARK: - Scalars

    public mutating func readByte(_ what: String = "a byte") throws(WippyError) -> UInt8 {
        guard position < bytes.count else { throw failure("truncated: expected \(what)") }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func readBool(_ what: String = "a flag") throws(WippyError) -> Bool {
        let start = position
        switch try readByte(what) {
        case 0: return false
        case 1: return true
        case let other: throw failure("invalid \(what) \(other)", at: start)
        }
    }

    public mutating func readUnsigned(_ what: String = "a number") throws(WippyError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte(what)
            if shift == 63 && byte > 1 { throw failure("\(what) overflows 64 bits", at: start) }
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    public mutating func readSigned(_ what: String = "an integer") throws(WippyError) -> Int64 {
        let raw = try readUnsigned(what)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A count of items that each take at least `minimumSize` bytes: larger than the rest of the data means
    /// garbage, caught before anything is allocated for it.
    public mutating func readCount(_ what: String, minimumSize: Int = 1) throws(WippyError) -> Int {
        let start = position
        let count = try readUnsigned(what)
        guard count <= UInt64(remaining / max(minimumSize, 1)) else {
            throw failure("\(what) \(count) is larger than the data left (\(remaining) bytes)", at: start)
        }
        return Int(count)
    }

    public mutating func readBytes(_ what: String = "a byte string") throws(WippyError) -> [UInt8] {
        let count = try readCount("length of \(what)")
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    public mutating func readString(_ what: String = "a string") throws(WippyError) -> String {
        let start = position
        let raw = try readBytes(what)
        guard let string = String(validating: raw, as: UTF8.self) else { throw failure("\(what) is not valid UTF-8", at: start) }
        return string
    }

    // MARK: - Payloads

    public mutating func readPayload() throws(WippyError) -> Payload {
        try readPayload(depth: 0)
    }

    /// A table written by ``PayloadArchiveWriter/write(table:)``.
    public mutating func readTable() throws(WippyError) -> PayloadTable {
        try readTable(depth: 0)
    }

    /// An error written by ``PayloadArchiveWriter/write(error:)``.
    public mutating func readError() throws(WippyError) -> WippyError {
        try readError(depth: 0)
    }

    private mutating func readPayload(depth: Int) throws(WippyError) -> Payload {
        let start = position
        let raw = try readByte("a payload")
        guard let tag = PayloadArchive.Tag(rawValue: raw) else { throw failure("unknown payload tag \(raw)", at: start) }
        switch tag {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(try readSigned())
        case .double:
            guard remaining >= 8 else { throw failure("truncated: expected 8 bytes of a double") }
            var bits: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 8) {
                bits |= UInt64(bytes[position]) << UInt64(shift)
                position += 1
            }
            return .double(Double(bitPattern: bits))
        case .string: return .string(try readString())
        case .bytes: return .bytes(try readBytes())
        case .table: return .table(try readTable(depth: depth))
        case .reference:
            let index = try readUnsigned("a table reference")
            guard index <= UInt64(Int.max) else { throw failure("table reference \(index) out of range", at: start) }
            return .reference(Int(index))
        case .error: return .error(try readError(depth: depth))
        }
    }

    private mutating func readTable(depth: Int) throws(WippyError) -> PayloadTable {
        try checkDepth(depth)
        let start = position
        let flags = try readByte("table flags")
        guard flags <= 1 else { throw failure("invalid table flags \(flags)", at: start) }
        let arrayCount = try readCount("table array count")
        var array: [Payload] = []
        array.reserveCapacity(arrayCount)
        for _ in 0..<arrayCount { array.append(try readPayload(depth: depth + 1)) }
        let fieldCount = try readCount("table field count", minimumSize: 2)
        var fields: [PayloadField] = []
        fields.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            let key = try readPayload(depth: depth + 1)
            fields.append(PayloadField(key: key, value: try readPayload(depth: depth + 1)))
        }
        return PayloadTable(array: array, fields: fields, isObject: flags == 1)
    }

    private mutating func readError(depth: Int) throws(WippyError) -> WippyError {
        try checkDepth(depth)
        let message = try readString("an error message")
        let kind = try readString("an error kind")
        let start = position
        let retryable: Bool?
        switch try readByte("an error's retryable flag") {
        case 0: retryable = nil
        case 1: retryable = false
        case 2: retryable = true
        case let other: throw failure("invalid retryable flag \(other)", at: start)
        }
        // Spelled out: in a ternary, `nil` would become `Payload.null` (Payload is nil-literal expressible).
        var details: Payload? = nil
        if try readBool("an error's details flag") { details = try readPayload(depth: depth + 1) }
        let count = try readCount("error context count")
        var context: [String] = []
        for _ in 0..<count { context.append(try readString("an error context line")) }
        return WippyError(message, kind: ErrorKind(kind), retryable: retryable, details: details, context: context)
    }

    private func checkDepth(_ depth: Int) throws(WippyError) {
        guard depth < PayloadArchive.maximumDepth else {
            throw failure("nesting deeper than \(PayloadArchive.maximumDepth) levels")
        }
    }

    /// An `Invalid` error naming the byte offset (of the current position unless given).
    public func failure(_ message: String, at offset: Int? = nil) -> WippyError {
        WippyError.invalid("payload archive: \(message) at byte \(offset ?? position)")
    }
}
