/// Appends bytes into a caller-provided buffer; used to build formatted strings with one allocation.
///
/// Writes past the end are dropped (capacities are computed as upper bounds, so this never happens
/// in practice, but memory stays safe if it does).
struct ByteWriter {
    let buffer: UnsafeMutableBufferPointer<UInt8>
    private(set) var count = 0

    init(buffer: UnsafeMutableBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    /// Runs `body` with a writer over a temporary buffer of `capacity` bytes and returns what it wrote.
    static func string(capacity: Int, _ body: (inout ByteWriter) -> Void) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(capacity, 1)) { buffer in
            var writer = ByteWriter(buffer: buffer)
            body(&writer)
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<writer.count]), as: UTF8.self)
        }
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        guard count < buffer.count else { return }
        buffer[count] = byte
        count += 1
    }

    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        for b in bytes { append(b) }
    }

    mutating func append(_ string: String) {
        for b in string.utf8 { append(b) }
    }

    mutating func append(_ string: StaticString) {
        let p = string.utf8Start
        for k in 0..<string.utf8CodeUnitCount { append(p[k]) }
    }

    /// The last byte written, if any.
    var last: UInt8? { count > 0 ? buffer[count - 1] : nil }

    /// Drops the last `n` bytes.
    mutating func removeLast(_ n: Int = 1) {
        count = max(0, count - n)
    }

    /// Go's `appendInt`: decimal `x`, zero-padded to at least `width` digits, `-` first if negative.
    mutating func appendInt(_ x: Int, width: Int) {
        var u = x.magnitude
        if x < 0 { append(UInt8(ascii: "-")) }
        // Two- and four-digit fields are the most common.
        if width == 2 && u < 100 {
            append(UInt8(truncatingIfNeeded: u / 10) &+ 48)
            append(UInt8(truncatingIfNeeded: u % 10) &+ 48)
            return
        }
        if width == 4 && u < 10_000 {
            append(UInt8(truncatingIfNeeded: u / 1000) &+ 48)
            append(UInt8(truncatingIfNeeded: u / 100 % 10) &+ 48)
            append(UInt8(truncatingIfNeeded: u / 10 % 10) &+ 48)
            append(UInt8(truncatingIfNeeded: u % 10) &+ 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        withUnsafeMutableBytes(of: &digits) { raw in
            var i = raw.count
            repeat {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: u % 10) &+ UInt8(ascii: "0")
                u /= 10
            } while u > 0
            var w = raw.count - i
            while w < width {
                append(UInt8(ascii: "0"))
                w += 1
            }
            for k in i..<raw.count { append(raw[k]) }
        }
    }
}
