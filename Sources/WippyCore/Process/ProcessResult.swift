/// How a process ended: with a value, or with an error.
public struct ProcessResult: Sendable, Equatable {
    public var value: Payload
    public var error: WippyError?

    public init(value: Payload = .null, error: WippyError? = nil) {
        self.value = value
        self.error = error
    }

    public static func failure(_ error: WippyError) -> ProcessResult { ProcessResult(error: error) }

    public var isError: Bool { error != nil }

    /// The error a forcibly terminated process ends with.
    public static let terminated = ProcessResult(error: WippyError("process terminated", kind: .internal))
}
