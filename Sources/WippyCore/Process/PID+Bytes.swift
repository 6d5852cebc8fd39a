/// Allocation-free parsing and formatting of PID text, for the message hot path.
extension PID {
    /// The parts of `{node@host|0x…}` text: byte ranges of node and host, and the counter.
    public struct TextParts {
        public var node: Range<Int>
        public var host: Range<Int>
        public var uniq: UInt64
    }

    /// Parses PID text without allocating; nil when the bytes are not a PID.
    public static func parts(of bytes: UnsafeRawBufferPointer) -> TextParts? {
        let count = bytes.count
        guard count >= 4, bytes[0] == UInt8(ascii: "{"), bytes[count - 1] == UInt8(ascii: "}") else { return nil }
        // The counter follows the last '|'.
        var bar = count - 2
        while bar > 0 && bytes[bar] != UInt8(ascii: "|") { bar -= 1 }
        guard bar > 1 else { return nil }
        var digits = bar + 1
        if digits + 1 < count - 1, bytes[digits] == UInt8(ascii: "0"), bytes[digits + 1] | 0x20 == UInt8(ascii: "x") {
            digits += 2
        }
        guard digits < count - 1 else { return nil }
        var value: UInt64 = 0
        for index in digits..<(count - 1) {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            guard value >> 60 == 0 else { return nil }
            value = value << 4 | UInt64(digit)
        }
        // A second '|' inside the left part is tolerated (the last part is the counter).
        var leftEnd = bar
        var scan = 1
        while scan < bar {
            if bytes[scan] == UInt8(ascii: "|") {
                leftEnd = scan
                break
            }
            scan += 1
        }
        var hostStart = 1
        var nodeRange = 1..<1
        scan = 1
        while scan < leftEnd {
            if bytes[scan] == UInt8(ascii: "@") {
                nodeRange = 1..<scan
                hostStart = scan + 1
                break
            }
            scan += 1
        }
        guard hostStart < leftEnd else { return nil }
        return TextParts(node: nodeRange, host: hostStart..<leftEnd, uniq: value)
    }

    /// True when `text` (with `parts` from ``parts(of:)``) names this PID.
    public func matches(_ text: UnsafeRawBufferPointer, _ parts: TextParts) -> Bool {
        guard uniq == parts.uniq else { return false }
        return PID.equal(host, text, parts.host) && PID.equal(node, text, parts.node)
    }

    private static func equal(_ string: String, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var string = string
        return string.withUTF8 { utf8 in
            guard utf8.count == range.count else { return false }
            var index = range.lowerBound
            for byte in utf8 {
                if bytes[index] != byte { return false }
                index += 1
            }
            return true
        }
    }

    /// Writes the PID text into `buffer` (at least ``maximumTextLength`` bytes); returns the length used.
    public func write(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = buffer.baseAddress, buffer.count >= maximumTextLength else { return 0 }
        var length = 0
        @inline(__always) func append(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                if let source = utf8.baseAddress, utf8.count > 0 {
                    (base + length).copyMemory(from: source, byteCount: utf8.count)
                    length += utf8.count
                }
            }
        }
        base.storeBytes(of: UInt8(ascii: "{"), as: UInt8.self)
        length = 1
        if !node.isEmpty {
            append(node)
            (base + length).storeBytes(of: UInt8(ascii: "@"), as: UInt8.self)
            length += 1
        }
        append(host)
        (base + length).storeBytes(of: UInt8(ascii: "|"), as: UInt8.self)
        if uniq & WorkflowIdentity.bit != 0, let id = workflowID {
            length += 1
            append(id)
            (base + length).storeBytes(of: UInt8(ascii: "}"), as: UInt8.self)
            return length + 1
        }
        (base + length + 1).storeBytes(of: UInt8(ascii: "0"), as: UInt8.self)
        (base + length + 2).storeBytes(of: UInt8(ascii: "x"), as: UInt8.self)
        length += 3
        var digits = 1
        var probe = uniq >> 4
        while probe != 0 {
            digits += 1
            probe >>= 4
        }
        let width = max(digits, 5)
        var value = uniq
        var position = length + width - 1
        for _ in 0..<width {
            let nibble = UInt8(value & 0xF)
            (base + position).storeBytes(of: nibble < 10 ? 48 + nibble : 87 + nibble, as: UInt8.self)
            value >>= 4
            position -= 1
        }
        length += width
        (base + length).storeBytes(of: UInt8(ascii: "}"), as: UInt8.self)
        return length + 1
    }

    /// An upper bound for the text of this PID.
    public var maximumTextLength: Int {
        // An ordinary PID (the common case) never looks the workflow id up.
        guard uniq & WorkflowIdentity.bit != 0 else { return node.utf8.count + host.utf8.count + 24 }
        return node.utf8.count + host.utf8.count + max(24, (workflowID?.utf8.count ?? 0) + 8)
    }
}
