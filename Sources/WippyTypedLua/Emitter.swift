/// Applies the parser's edits to the original bytes, producing Lua 5.4 source with the same lines.
enum Emitter {
    /// Copies `source`, applying `edits` (in any order; they must not overlap).
    static func apply(_ edits: [Edit], to source: [UInt8]) -> [UInt8] {
        // At one offset an insertion goes first, so a range edit starting there cannot skip past it.
        let ordered = edits.sorted { lhs, rhs in
            if lhs.start != rhs.start { return lhs.start < rhs.start }
            let lhsInserts = lhs.start == lhs.end
            let rhsInserts = rhs.start == rhs.end
            if lhsInserts != rhsInserts { return lhsInserts }
            return lhs.sequence < rhs.sequence
        }
        var output: [UInt8] = []
        output.reserveCapacity(source.count + 16)
        var cursor = 0
        for edit in ordered {
            assert(edit.start >= cursor, "overlapping edits")
            guard edit.start >= cursor else { continue }
            output.append(contentsOf: source[cursor..<edit.start])
            switch edit.action {
            case .insert(let bytes):
                output.append(contentsOf: bytes)
            case .replace(let bytes, let padding):
                output.append(contentsOf: bytes)
                output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
            case .blank(let prefix, let absorb):
                output.append(contentsOf: prefix)
                blank(source, edit.start..<edit.end, dropping: prefix.count + absorb, into: &output)
            }
            cursor = edit.end
        }
        output.append(contentsOf: source[cursor...])
        return output
    }

    /// Writes spaces for every byte of `range` except line breaks, which are copied. Up to `dropping`
    /// spaces before the first line break are left out (they were used by a prefix or an insertion).
    private static func blank(_ source: [UInt8], _ range: Range<Int>, dropping: Int, into output: inout [UInt8]) {
        var toDrop = dropping
        var sawLineBreak = false
        for index in range {
            let byte = source[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                sawLineBreak = true
                output.append(byte)
            } else if !sawLineBreak && toDrop > 0 {
                toDrop -= 1
            } else {
                output.append(UInt8(ascii: " "))
            }
        }
    }
}
