import WippyModules
#if canImport(Glibc)
import Glibc
#endif

/// A ``TerminalDevice`` whose input, output and error output are pipes the test controls.
final class TerminalPipes: @unchecked Sendable {
    let device: TerminalDevice
    private let inputWrite: Int32
    private let outputRead: Int32
    private let errorRead: Int32
    private var descriptors: [Int32] = []

    init(arguments: [String] = []) {
        func makePipe() -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            precondition(pipe(&fds) == 0)
            return (fds[0], fds[1])
        }
        let input = makePipe(), output = makePipe(), error = makePipe()
        for fd in [output.read, error.read] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        inputWrite = input.write
        outputRead = output.read
        errorRead = error.read
        descriptors = [input.read, input.write, output.read, output.write, error.read, error.write]
        device = TerminalDevice(input: input.read, output: output.write, errorOutput: error.write, arguments: arguments)
    }

    deinit {
        device.close()
        for fd in descriptors where fd >= 0 { close(fd) }
    }

    /// Writes `text` to the device's input.
    func feed(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(inputWrite, $0.baseAddress, $0.count) }
    }

    /// Closes the writing end of the input: the device sees the end of input.
    func endInput() {
        if let index = descriptors.firstIndex(of: inputWrite) {
            close(inputWrite)
            descriptors[index] = -1
        }
    }

    /// Everything written to the output so far.
    func output() -> String { drain(outputRead) }

    /// Everything written to the error output so far.
    func errorOutput() -> String { drain(errorRead) }

    private func drain(_ fd: Int32) -> String {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
