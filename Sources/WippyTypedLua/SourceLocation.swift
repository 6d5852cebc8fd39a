/// A 1-based line and byte column in a source, computed from a byte offset.
///
/// A line break is LF, CR, CR LF or LF CR, each counting once, as in the Lua lexers.
struct SourceLocation: Sendable, Equatable {
    var line: Int
    var column: Int

    init(offset: Int, in source: [UInt8]) {
        let target = min(max(offset, 0), source.count)
        var line = 1
        var lineStart = 0
        var index = 0
        while index < target {
            let byte = source[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                let next = index + 1
                if next < target, source[next] != byte,
                    source[next] == UInt8(ascii: "\n") || source[next] == UInt8(ascii: "\r")
                {
                    index = next
                }
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        self.line = line
        self.column = target - lineStart + 1
    }

    /// True when `source[range]` contains a line break.
    static func containsLineBreak(_ source: [UInt8], _ range: Range<Int>) -> Bool {
        for index in range where source[index] == UInt8(ascii: "\n") || source[index] == UInt8(ascii: "\r") {
            return true
        }
        return false
    }
}
