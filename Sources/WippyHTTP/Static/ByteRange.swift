/// A `Range: bytes=...` header against a file of a size, read the way Go's `http.ServeContent` reads it.
///
/// - Ranges that start past the end are dropped; when none is left the answer is 416 ("failed to overlap").
/// - A syntax error anywhere is 416 too ("invalid range").
/// - Ranges whose lengths add up to more than the file are ignored: the whole file is sent (a client asking
///   for more than the file in pieces gains nothing, and it bounds the multipart body to the file's size).
enum ByteRange: Equatable {
    case whole
    /// One range: a 206 with `Content-Range`.
    case part(Range<Int>)
    /// Several: a 206 `multipart/byteranges` body, one part per range, in the order asked.
    case parts([Range<Int>])
    case unsatisfiable(String)

    static let noOverlap = "invalid range: failed to overlap"
    static let invalid = "invalid range"

    static func parse(_ header: String, size: Int) -> ByteRange {
        let text = header.trimmed
        guard !text.isEmpty else { return .whole }
        guard text.hasPrefix("bytes=") else { return .unsatisfiable(invalid) }
        var ranges: [Range<Int>] = []
        var droppedPastEnd = false
        for item in text.dropFirst("bytes=".count).split(separator: ",", omittingEmptySubsequences: false) {
            let spec = String(item).trimmed
            if spec.isEmpty { continue }
            guard let dash = spec.firstIndex(of: "-") else { return .unsatisfiable(invalid) }
            let first = String(spec[..<dash]).trimmed
            let last = String(spec[spec.index(after: dash)...]).trimmed
            if first.isEmpty {
                // The last N bytes.
                guard !last.isEmpty, !last.hasPrefix("-"), let count = Int(last), count >= 0 else { return .unsatisfiable(invalid) }
                guard count > 0, size > 0 else {
                    droppedPastEnd = true
                    continue
                }
                ranges.append(max(0, size - count)..<size)
                continue
            }
            guard let start = Int(first), start >= 0 else { return .unsatisfiable(invalid) }
            if start >= size {
                droppedPastEnd = true
                continue
            }
            if last.isEmpty {
                ranges.append(start..<size)
                continue
            }
            guard let end = Int(last), end >= start else { return .unsatisfiable(invalid) }
            ranges.append(start..<min(end + 1, size))
        }
        if ranges.isEmpty { return droppedPastEnd ? .unsatisfiable(noOverlap) : .whole }
        if ranges.reduce(0, { $0 + $1.count }) > size { return .whole }
        return ranges.count == 1 ? .part(ranges[0]) : .parts(ranges)
    }
}

extension String {
    fileprivate var trimmed: String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view.removeFirst() }
        while view.last == " " || view.last == "\t" { view.removeLast() }
        return String(view)
    }
}
