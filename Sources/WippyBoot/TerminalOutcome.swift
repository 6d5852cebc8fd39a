public import WippyCore

/// What a finished terminal process means for the CLI: text to print and the exit code (Wippy's rules).
public struct TerminalOutcome: Sendable, Equatable {
    public var standardOutput: String?
    public var standardError: String?
    public var exitCode: Int32

    /// An error → message on stderr, code 1; a string → printed, code 0; a number → that code (non-finite:
    /// 1); a boolean → 0 for true, 1 for false; anything else → 0.
    public init(_ result: ProcessResult) {
        standardOutput = nil
        standardError = nil
        if let error = result.error {
            standardError = TerminalOutcome.collapse(error.message)
            exitCode = 1
            return
        }
        switch result.value {
        case .string, .bytes:
            standardOutput = result.value.stringValue ?? result.value.description
            exitCode = 0
        case .int(let value):
            exitCode = Int32(truncatingIfNeeded: value)
        case .double(let value):
            exitCode = value.isFinite ? Int32(truncatingIfNeeded: Int64(value)) : 1
        case .bool(let value):
            exitCode = value ? 0 : 1
        default:
            exitCode = 0
        }
    }

    /// Collapses a doubled `"x: x: …"` prefix.
    static func collapse(_ message: String) -> String {
        guard let colon = message.firstIndex(of: ":") else { return message }
        let prefix = message[..<colon]
        let rest = message[message.index(after: colon)...].drop { $0 == " " }
        if rest.hasPrefix(prefix + ":") { return String(rest) }
        return message
    }
}
