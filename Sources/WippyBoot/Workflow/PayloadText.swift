public import WippyCore
import WippyCodecs

/// Readable text for the payloads workflow stores hold (``PayloadArchive`` bytes): JSON-like, for people,
/// with nothing left out: integers apart from floats, byte strings that are not text in hex, tables with
/// both a list part and fields, errors with their kind.
public enum PayloadText {
    /// The archive's payload as text; bytes that are not an archive as `<N bytes, not a payload: hex>`;
    /// nothing for no bytes.
    public static func render(archive bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        guard let payload = try? PayloadArchive.decode(bytes) else {
            return "<\(bytes.count) bytes, not a payload: \(hex(bytes))>"
        }
        return render(payload)
    }

    public static func render(_ payload: Payload) -> String {
        var text = ""
        write(payload, into: &text, depth: 0)
        return text
    }

    /// The archive's payload as a value JSON can hold (for `--json`): byte strings that are not text
    /// become `{"hex": ...}`, mixed tables objects with text keys, errors `{"error", "kind"}`; bytes that
    /// are not an archive `{"raw_hex": ...}`; no bytes null.
    public static func jsonValue(archive bytes: [UInt8]) -> Payload {
        guard !bytes.isEmpty else { return .null }
        guard let payload = try? PayloadArchive.decode(bytes) else { return .map([("raw_hex", .string(hex(bytes)))]) }
        return jsonValue(payload, depth: 0)
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let maximumDepth = 64

    private static func write(_ payload: Payload, into text: inout String, depth: Int) {
        guard depth < maximumDepth else {
            text += "…"
            return
        }
        switch payload {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .int(let number): text += String(number)
        case .double(let number):
            // a float keeps a decimal point, so it is not taken for an integer
            guard number.isFinite else {
                text += String(number)
                return
            }
            let formatted = JSONCodec.formatNumber(number)
            text += formatted.contains(where: { $0 == "." || $0 == "e" }) ? formatted : formatted + ".0"
        case .string(let string): quote(string, into: &text)
        case .bytes(let bytes):
            if let string = String(validating: bytes, as: UTF8.self) { quote(string, into: &text) } else { text += "0x" + hex(bytes) }
        case .reference(let index): text += "<table #\(index)>"
        case .error(let error):
            text += "error("
            quote(error.message, into: &text)
            if error.kind != .unknown { text += ", \(error.kind.rawValue)" }
            text += ")"
        case .table(let table):
            if table.fields.isEmpty && !(table.array.isEmpty && table.isObject) {
                text += "["
                for (index, item) in table.array.enumerated() {
                    if index > 0 { text += ", " }
                    write(item, into: &text, depth: depth + 1)
                }
                text += "]"
                return
            }
            text += "{"
            var first = true
            for (index, item) in table.array.enumerated() {
                if !first { text += ", " }
                first = false
                text += "\(index + 1): "
                write(item, into: &text, depth: depth + 1)
            }
            for field in table.fields {
                if !first { text += ", " }
                first = false
                write(field.key, into: &text, depth: depth + 1)
                text += ": "
                write(field.value, into: &text, depth: depth + 1)
            }
            text += "}"
        }
    }

    private static func quote(_ string: String, into text: inout String) {
        text += (try? JSONCodec.encodeString(.string(string))) ?? "\"\(string)\""
    }

    private static func jsonValue(_ payload: Payload, depth: Int) -> Payload {
        guard depth < maximumDepth else { return .string("…") }
        switch payload {
        case .bytes(let bytes):
            if let string = String(validating: bytes, as: UTF8.self) { return .string(string) }
            return .map([("hex", .string(hex(bytes)))])
        case .reference(let index): return .string("<table #\(index)>")
        case .error(let error):
            return .map([("error", .string(error.message)), ("kind", .string(error.kind.rawValue))])
        case .table(let table):
            if table.fields.isEmpty { return .table(PayloadTable(array: table.array.map { jsonValue($0, depth: depth + 1) }, isObject: table.isObject)) }
            var fields: [(String, Payload)] = []
            for (index, item) in table.array.enumerated() { fields.append((String(index + 1), jsonValue(item, depth: depth + 1))) }
            for field in table.fields {
                let key: String
                if case .string(let name) = field.key { key = name } else { key = render(field.key) }
                fields.append((key, jsonValue(field.value, depth: depth + 1)))
            }
            return .map(fields)
        default: return payload
        }
    }
}
