public import WippyCore

/// What a read from the terminal's input produced.
public enum TerminalReadResult: Sendable, Equatable {
    /// Bytes read: a line without its line ending, or up to the requested number of bytes.
    case data([UInt8])
    /// The input ended with nothing left to return.
    case endOfFile
    /// The read failed (an OS error, or the device was closed).
    case failure(WippyError)
}
