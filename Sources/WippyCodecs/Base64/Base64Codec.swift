public import WippyCore

/// Standard base64 (RFC 4648 §4: `A–Z a–z 0–9 + /`, padded with `=`), as the Lua `base64` module uses it.
///
/// Decoding follows Go's `base64.StdEncoding`: padding is required, `\r` and `\n` anywhere in the input are ignored,
/// any other character outside the alphabet is an error, and non-zero bits in the last character before padding are
/// accepted.
public enum Base64Codec {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The 6-bit value of each alphabet byte, `0xff` for anything else.
    private static let decodeMap: [UInt8] = {
        var map = [UInt8](repeating: 0xff, count: 256)
        for (index, byte) in alphabet.enumerated() { map[Int(byte)] = UInt8(index) }
        return map
    }()

    /// Encodes `bytes` with the standard alphabet and `=` padding. An empty input gives `""`.
    public static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: encodeToBytes(bytes), as: UTF8.self)
    }

    /// Encodes the UTF-8 bytes of `text`.
    public static func encode(_ text: String) -> String {
        encode(Array(text.utf8))
    }

    /// Encodes `bytes` and returns the ASCII result as bytes.
    public static func encodeToBytes(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (bytes.count + 2) / 3 * 4)
        alphabet.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    var si = 0
                    var di = 0
                    while si + 3 <= src.count {
                        let value = UInt32(src[si]) << 16 | UInt32(src[si + 1]) << 8 | UInt32(src[si + 2])
                        dst[di] = table[Int(value >> 18 & 0x3f)]
                        dst[di + 1] = table[Int(value >> 12 & 0x3f)]
                        dst[di + 2] = table[Int(value >> 6 & 0x3f)]
                        dst[di + 3] = table[Int(value & 0x3f)]
                        si += 3
                        di += 4
                    }
                    let remaining = src.count - si
                    guard remaining > 0 else { return }
                    var value = UInt32(src[si]) << 16
                    if remaining == 2 { value |= UInt32(src[si + 1]) << 8 }
                    dst[di] = table[Int(value >> 18 & 0x3f)]
                    dst[di + 1] = table[Int(value >> 12 & 0x3f)]
                    dst[di + 2] = remaining == 2 ? table[Int(value >> 6 & 0x3f)] : UInt8(ascii: "=")
                    dst[di + 3] = UInt8(ascii: "=")
                }
            }
        }
        return out
    }

    /// Decodes standard, padded base64.
    ///
    /// - Parameter text: The encoded bytes. `\r` and `\n` are skipped wherever they appear.
    /// - Returns: The decoded bytes; `[]` for an empty input.
    /// - Throws: ``WippyError`` of kind ``ErrorKind/invalid`` with Go's message
    ///   `illegal base64 data at input byte N` for a character outside the alphabet, wrong or missing padding, or
    ///   data after the padding.
    public static func decode(_ text: [UInt8]) throws(WippyError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var si = 0
        let result: Int? = decodeMap.withUnsafeBufferPointer { map in
            text.withUnsafeBufferPointer { src in
                while true {
                    // Fast path: four alphabet characters in a row.
                    while si + 4 <= src.count {
                        let a = map[Int(src[si])], b = map[Int(src[si + 1])]
                        let c = map[Int(src[si + 2])], d = map[Int(src[si + 3])]
                        guard (a | b | c | d) & 0xc0 == 0 else { break }  // 0xff marks a non-alphabet byte
                        let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                        out.append(UInt8(truncatingIfNeeded: value >> 16))
                        out.append(UInt8(truncatingIfNeeded: value >> 8))
                        out.append(UInt8(truncatingIfNeeded: value))
                        si += 4
                    }
                    switch decodeQuantum(src, map, &si, &out) {
                    case .more: continue
                    case .done: return nil
                    case .corrupt(let offset): return offset
                    }
                }
            }
        }
        if let offset = result {
            throw WippyError.invalid("illegal base64 data at input byte \(offset)")
        }
        return out
    }

    /// Decodes the UTF-8 bytes of `text`.
    public static func decode(_ text: String) throws(WippyError) -> [UInt8] {
        try decode(Array(text.utf8))
    }

    private enum QuantumResult {
        case more
        case done
        case corrupt(Int)
    }

    /// One 4-character quantum, the slow way: the logic of Go's `decodeQuantum`, including its error offsets.
    private static func decodeQuantum(
        _ src: UnsafeBufferPointer<UInt8>, _ map: UnsafeBufferPointer<UInt8>, _ si: inout Int, _ out: inout [UInt8]
    ) -> QuantumResult {
        var quantum: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        var length = 4
        var finished = false
        var j = 0
        func isNewline(_ byte: UInt8) -> Bool { byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") }
        func store(_ value: UInt8, at index: Int) {
            switch index {
            case 0: quantum.0 = value
            case 1: quantum.1 = value
            case 2: quantum.2 = value
            default: quantum.3 = value
            }
        }
        while j < 4 {
            if si == src.count {
                if j == 0 { return .done }
                return .corrupt(si - j)
            }
            let byte = src[si]
            si += 1
            let value = map[Int(byte)]
            if value != 0xff {
                store(value, at: j)
                j += 1
                continue
            }
            if isNewline(byte) { continue }
            if byte != UInt8(ascii: "=") { return .corrupt(si - 1) }
            // Padding: only after two or three characters.
            switch j {
            case 0, 1:
                return .corrupt(si - 1)
            case 2:
                while si < src.count, isNewline(src[si]) { si += 1 }
                if si == src.count { return .corrupt(src.count) }
                if src[si] != UInt8(ascii: "=") { return .corrupt(si - 1) }
                si += 1
            default:
                break
            }
            while si < src.count, isNewline(src[si]) { si += 1 }
            if si < src.count { return .corrupt(si) }
            length = j
            finished = true
            break
        }
        let value = UInt32(quantum.0) << 18 | UInt32(quantum.1) << 12 | UInt32(quantum.2) << 6 | UInt32(quantum.3)
        out.append(UInt8(truncatingIfNeeded: value >> 16))
        if length >= 3 { out.append(UInt8(truncatingIfNeeded: value >> 8)) }
        if length == 4 { out.append(UInt8(truncatingIfNeeded: value)) }
        return finished ? .done : .more
    }
}
