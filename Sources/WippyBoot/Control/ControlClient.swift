public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// Asks a running `wippy run` for its state through its ``ControlServer`` socket.
public enum ControlClient {
    /// Where a project's running instance answers.
    public static func socketPath(projectRoot: String) -> String {
        (projectRoot.hasSuffix("/") ? projectRoot : projectRoot + "/") + ".wippy/control.sock"
    }

    /// Connects to `path`, sends `body` (empty: the status report) and returns everything the server sends.
    ///
    /// - Throws: ``ErrorKind/notFound`` when nothing answers there.
    public static func request(_ path: String, body: [UInt8] = []) throws(WippyError) -> [UInt8] {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw WippyError.invalid("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = try address(path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw WippyError.notFound("no running wippy found (nothing answers on \(path)); start one with 'wippy run'")
        }
        body.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = send(fd, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                if written <= 0 { break }
                offset += written
            }
        }
        shutdown(fd, Int32(SHUT_WR))
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            result += buffer[0..<count]
        }
        return result
    }

    static func address(_ path: String) throws(WippyError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else {
            throw WippyError.invalid("control socket path is too long (\(bytes.count) bytes, at most \(capacity - 1)): \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        return address
    }
}
