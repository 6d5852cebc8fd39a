public import WippyCore

/// What a finished terminal process means for the CLI: text to print and the exit code (Wippy's rules).
public struct TerminalOutcome: Sendable, Equatable {
    public var standardOutput: String?
    public var standardError: String?
    public var exitCode: Int32

    /// An error → message on stderr, code 1; a string → printed, code 0; a number → that code when it is
    /// within 0-255 (a fraction is cut: 3.7 → 3), else code 1 with a message on stderr (a process exit code
    /// is one byte: 256 must not become 0); a boolean → 0 for true, 1 for false; anything else → 0.
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
            (exitCode, standardError) = TerminalOutcome.code(Double(value), shown: String(value))
        case .double(let value):
            (exitCode, standardError) = TerminalOutcome.code(value, shown: Int64(exactly: value).map(String.init) ?? String(value))
        case .bool(let value):
            exitCode = value ? 0 : 1
        default:
            exitCode = 0
        }
    }

    /// The highest exit code; numbers beyond it (or below 0, or not finite) exit with ``outOfRangeCode``.
    public static let highestCode = 255
    public static let outOfRangeCode: Int32 = 1

    /// The exit code for a number result, with the message when it is out of range.
    static func code(_ value: Double, shown: String) -> (Int32, String?) {
        if value.isFinite, value >= 0, value < Double(TerminalOutcome.highestCode + 1) { return (Int32(value), nil) }
        return (outOfRangeCode, "exit code \(shown) is outside 0-\(highestCode): exiting with \(outOfRangeCode)")
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
