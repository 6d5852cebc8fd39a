/// UTF-8 decoding with Go's error policy, so that invalid text turns into the same U+FFFD characters as in Wippy.
///
/// Go's `utf8.DecodeRune` reports every byte that does not start a well-formed sequence as one invalid byte (width 1),
/// where Swift's own repair replaces maximal invalid subparts. Well-formed means the shortest encoding, no surrogates,
/// nothing above U+10FFFF.
enum GoUTF8 {
    /// The length of the well-formed sequence at `index` (1...4), or 0 when the byte there is invalid.
    ///
    /// - Precondition: `index < bytes.count`.
    static func sequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        let b0 = bytes[index]
        if b0 < 0x80 { return 1 }
        let available = bytes.count - index
        @inline(__always) func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xbf) -> Bool {
            offset < available && bytes[index + offset] >= low && bytes[index + offset] <= high
        }
        switch b0 {
        case 0xc2...0xdf:
            return continuation(1) ? 2 : 0
        case 0xe0:
            return continuation(1, 0xa0) && continuation(2) ? 3 : 0
        case 0xe1...0xec, 0xee...0xef:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xed:
            return continuation(1, 0x80, 0x9f) && continuation(2) ? 3 : 0
        case 0xf0:
            return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0
        case 0xf1...0xf3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xf4:
            return continuation(1, 0x80, 0x8f) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// The bytes of U+FFFD REPLACEMENT CHARACTER.
    static let replacement: [UInt8] = [0xef, 0xbf, 0xbd]

    /// `bytes` as a string, each invalid byte replaced by U+FFFD the way Go does it.
    static func repairedString(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        if let valid = String(validating: bytes, as: UTF8.self) { return valid }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        appendRepaired(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `bytes` to `out`, each invalid byte replaced by U+FFFD.
    static func appendRepaired(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var index = 0
        var runStart = 0
        while index < bytes.count {
            let length = sequenceLength(bytes, at: index)
            if length > 0 {
                index += length
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            out.append(contentsOf: replacement)
            index += 1
            runStart = index
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
    }
}
