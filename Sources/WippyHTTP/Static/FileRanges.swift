#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// An open file read piece by piece (the parts of a `multipart/byteranges` answer): each read is one
/// `pread` of at most ``chunk`` bytes, so a response holds one chunk at a time whatever the ranges add up to.
/// Blocking: call on the thread pool.
final class FileRanges: Sendable {
    static let chunk = 128 * 1024
    let descriptor: Int32

    init?(path: String) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 { return nil }
    }

    /// Exactly `count` bytes from `offset`; `nil` when the file no longer has them (it shrank).
    func read(at offset: Int, count: Int) -> ByteBuffer? {
        var buffer = ByteBuffer()
        var done = 0
        let complete = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { memory -> Int in
            while done < count {
                let got = pread(descriptor, memory.baseAddress! + done, count - done, off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                if got <= 0 { break }
                done += got
            }
            return done
        } == count
        return complete ? buffer : nil
    }

    /// Closed with the last reference (the response body that reads it, sent or dropped).
    deinit {
        _ = Glibc.close(descriptor)
    }
}
