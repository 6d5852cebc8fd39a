public import WippyCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An open file of an ``FSDirectory``. Every method may wait on the disk: callers run them off the Lua
/// workers. Calls are serialised; ``close()`` is idempotent and later calls fail with `Invalid`.
public final class FSFile: Sendable {
    public let name: String
    private let descriptor: Mutex<Int32>

    init(descriptor: Int32, name: String) {
        self.descriptor = Mutex(descriptor)
        self.name = name
    }

    deinit { close() }

    private func withOpen<T>(_ body: (Int32) throws(WippyError) -> T) throws(WippyError) -> T {
        let result: Result<T, WippyError> = descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return .failure(WippyError.invalid("file \(name) is closed")) }
            do throws(WippyError) {
                return .success(try body(descriptor))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Up to `count` bytes; an empty array at the end of the file.
    public func read(_ count: Int) throws(WippyError) -> [UInt8] {
        guard count > 0 else { throw WippyError.invalid("read size must be positive, got \(count)") }
        return try withOpen { descriptor throws(WippyError) in
            var buffer = [UInt8](repeating: 0, count: count)
            while true {
                let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, count) }
                if got >= 0 {
                    buffer.removeLast(count - got)
                    return buffer
                }
                if errno != EINTR { throw FSPath.error("read \(name)") }
            }
        }
    }

    /// The rest of the file.
    public func readAll() throws(WippyError) -> [UInt8] {
        var result: [UInt8] = []
        while true {
            let chunk = try read(1 << 16)
            if chunk.isEmpty { return result }
            result += chunk
        }
    }

    public func write(_ bytes: [UInt8]) throws(WippyError) {
        try withOpen { descriptor throws(WippyError) in
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FSPath.error("write \(name)")
                }
                offset += written
            }
        }
    }

    /// Moves the position; returns the new one.
    public func seek(_ whence: String, _ offset: Int64) throws(WippyError) -> Int64 {
        let origin: Int32
        switch whence {
        case "set": origin = SEEK_SET
        case "cur": origin = SEEK_CUR
        case "end": origin = SEEK_END
        default: throw WippyError.invalid("seek whence must be \"set\", \"cur\" or \"end\", got \"\(whence)\"")
        }
        return try withOpen { descriptor throws(WippyError) in
            let position = lseek(descriptor, off_t(offset), origin)
            guard position >= 0 else { throw FSPath.error("seek \(name)") }
            return Int64(position)
        }
    }

    public func status() throws(WippyError) -> FSStat {
        try withOpen { descriptor throws(WippyError) in
            var info = Glibc.stat()
            guard fstat(descriptor, &info) == 0 else { throw FSPath.error("stat \(name)") }
            return FSStat(name: name, info: info)
        }
    }

    public func sync() throws(WippyError) {
        try withOpen { descriptor throws(WippyError) in
            guard fsync(descriptor) == 0 else { throw FSPath.error("sync \(name)") }
        }
    }

    public var isClosed: Bool { descriptor.withLock { $0 < 0 } }

    public func close() {
        let open = descriptor.withLock { descriptor -> Int32 in
            defer { descriptor = -1 }
            return descriptor
        }
        if open >= 0 { Glibc.close(open) }
    }
}
