/// A compact, lossless, versioned binary form of payloads (and of the entries and changes built from them),
/// for what is written to disk: registry history now, durable workflow state later.
///
/// Unlike JSON it keeps everything a ``Payload`` can hold: integers apart from floats (and every float bit
/// pattern, NaN and -0.0 included), byte strings apart from text, a table's sequence part, its fields in
/// order with keys of any type and its `isObject` flag, table references and structured errors.
///
/// An archive starts with the bytes `WPA` and a format version, so a reader can tell a foreign or future file
/// from a damaged one. Reading never trusts the input: truncated, oversized or garbage data is rejected with
/// an `Invalid` error naming the byte offset, never a crash.
///
/// Layout (version 1): unsigned numbers are LEB128 varints, signed integers zigzag varints, strings and byte
/// strings a varint length then the bytes. A payload is a tag byte then its body:
///
/// | tag | payload | body |
/// |---|---|---|
/// | 0 | null | — |
/// | 1, 2 | false, true | — |
/// | 3 | int | zigzag varint |
/// | 4 | double | 8 bytes, IEEE 754 bit pattern, little-endian |
/// | 5 | string | UTF-8 text |
/// | 6 | bytes | raw bytes |
/// | 7 | table | flags (bit 0: isObject), array count, items, field count, key/value pairs |
/// | 8 | reference | table index |
/// | 9 | error | message, kind, retryable (0 unknown, 1 false, 2 true), details (0 or 1 then a payload), context |
public enum PayloadArchive {
    /// The first bytes of every archive.
    public static let magic: [UInt8] = [0x57, 0x50, 0x41]  // "WPA"
    /// The layout this build writes and reads.
    public static let formatVersion: UInt8 = 1
    /// Deepest nesting written or read (a property of the file format, so it stays fixed). Payloads made from
    /// Lua stop at ``Payload/maximumDepth``; the margin leaves room for the entries and changes that wrap them.
    public static let maximumDepth = 512

    /// One payload as a complete archive.
    ///
    /// - Throws: `Invalid` when the payload nests deeper than ``maximumDepth``.
    public static func encode(_ payload: Payload) throws(WippyError) -> [UInt8] {
        var writer = PayloadArchiveWriter()
        try writer.write(payload)
        return writer.bytes
    }

    /// The payload of an archive made by ``encode(_:)``.
    ///
    /// - Throws: `Invalid` naming what is wrong and where: not an archive, an unsupported version, truncated
    ///   or malformed data, or bytes left over.
    public static func decode(_ bytes: [UInt8]) throws(WippyError) -> Payload {
        var reader = try PayloadArchiveReader(bytes)
        let payload = try reader.readPayload()
        try reader.finish()
        return payload
    }

    enum Tag: UInt8 {
        case null = 0, `false`, `true`, int, double, string, bytes, table, reference, error
    }
}
