/// Splits a byte stream into tokens the way `f:scanner(split)` does: `lines` (without the `\n`, and a
/// trailing `\r`), `words` (runs of non-space bytes), `bytes` (one byte each) or `runes` (one UTF-8
/// character each). Fed chunks with ``feed(_:)``, ended with ``finish()``; pure, so it is tested without files.
public struct FSScanner: Sendable {
    public enum Split: String, Sendable {
        case lines, words, bytes, runes
    }

    public let split: Split
    private var buffer: [UInt8] = []
    private var start = 0
    public private(set) var ended = false

    public init(split: Split) { self.split = split }

    public mutating func feed(_ bytes: [UInt8]) {
        if start > 0 && start > buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer += bytes
    }

    public mutating func finish() { ended = true }

    /// The next token, or nil when more input is needed (or, once ended, when there is none left).
    public mutating func next() -> [UInt8]? {
        switch split {
        case .lines:
            if let newline = buffer[start...].firstIndex(of: 10) {
                var token = Array(buffer[start..<newline])
                if token.last == 13 { token.removeLast() }
                start = newline + 1
                return token
            }
            guard ended, start < buffer.count else { return nil }
            var token = Array(buffer[start...])
            if token.last == 13 { token.removeLast() }
            start = buffer.count
            return token
        case .words:
            while start < buffer.count, FSScanner.isSpace(buffer[start]) { start += 1 }
            guard start < buffer.count else { return nil }
            if let end = buffer[start...].firstIndex(where: FSScanner.isSpace) {
                defer { start = end }
                return Array(buffer[start..<end])
            }
            guard ended else { return nil }
            defer { start = buffer.count }
            return Array(buffer[start...])
        case .bytes:
            guard start < buffer.count else { return nil }
            defer { start += 1 }
            return [buffer[start]]
        case .runes:
            guard start < buffer.count else { return nil }
            let lead = buffer[start]
            let length = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 1
            if start + length > buffer.count {
                guard ended else { return nil }
                defer { start = buffer.count }
                return Array(buffer[start...])
            }
            defer { start += length }
            return Array(buffer[start..<(start + length)])
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 32 || (9...13).contains(byte) }
}
