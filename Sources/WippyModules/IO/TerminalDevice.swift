import Synchronization
public import WippyCore

/// The standard streams and command-line arguments of a `terminal.host`, as the Lua `io` module uses them.
///
/// Writes go straight to the output descriptors with unbuffered `write(2)` calls (partial writes and `EINTR`
/// are retried). Reads never block a worker thread: they are queued to a reader thread (started on the first
/// read) that completes each one through a callback, which the `io` module turns into a worker completion.
///
/// The CLI makes one device for the process it starts on the terminal host:
///
/// ```swift
/// let terminal = TerminalDevice(arguments: Array(CommandLine.arguments.dropFirst(n)))
/// let modules = StandardModules.all(terminal: terminal)
/// ```
///
/// Tests can pass pipe descriptors instead of 0, 1 and 2. The device does not own (or close) the descriptors.
public final class TerminalDevice: Sendable {
    /// An output stream.
    public enum Stream: Sendable {
        case output
        case error
    }

    /// The descriptor reads come from (standard input by default).
    public let input: Int32
    /// The descriptor `io.write`/`io.print` write to.
    public let output: Int32
    /// The descriptor `io.eprint` writes to.
    public let errorOutput: Int32
    private let argumentStorage: Mutex<[String]>
    private let reader: TerminalReader

    /// - Parameters:
    ///   - input: descriptor to read from; `output`, `errorOutput`: descriptors to write to.
    ///   - arguments: what `io.args()` returns (can be changed later with ``arguments``).
    public init(input: Int32 = 0, output: Int32 = 1, errorOutput: Int32 = 2, arguments: [String] = []) {
        self.input = input
        self.output = output
        self.errorOutput = errorOutput
        argumentStorage = Mutex(arguments)
        reader = TerminalReader(input: input)
    }

    deinit { reader.stop() }

    /// The command-line arguments given to the terminal process (`io.args()`), set by whoever starts it.
    public var arguments: [String] {
        get { argumentStorage.withLock { $0 } }
        set { argumentStorage.withLock { $0 = newValue } }
    }

    /// Writes all of `bytes` to `stream`.
    ///
    /// - Returns: nil on success, or an `Internal` error naming the OS error.
    @discardableResult
    public func write(_ bytes: [UInt8], to stream: Stream = .output) -> WippyError? {
        let descriptor = stream == .output ? output : errorOutput
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                POSIX.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written >= 0 {
                offset += written
                continue
            }
            switch POSIX.lastError {
            case POSIX.interrupted: continue
            case POSIX.wouldBlock: _ = POSIX.poll([descriptor], events: POSIX.writable)
            case let code: return .internal("write failed: \(POSIX.describe(code))")
            }
        }
        return nil
    }

    /// Reads one line (without `\n` or `\r\n`); at the end of input, the unterminated rest if there is one.
    ///
    /// `completion` runs on the reader thread.
    public func readLine(_ completion: @escaping @Sendable (TerminalReadResult) -> Void) {
        reader.submit(.line, completion: completion)
    }

    /// Reads what is available, up to `count` bytes (at least one byte unless the input ended).
    ///
    /// `completion` runs on the reader thread.
    public func read(upTo count: Int, _ completion: @escaping @Sendable (TerminalReadResult) -> Void) {
        reader.submit(.bytes(max(1, count)), completion: completion)
    }

    /// Stops the reader thread; pending and later reads fail with `Unavailable` "terminal closed".
    public func close() { reader.stop() }
}
