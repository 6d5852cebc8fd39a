public import WippyCore

/// Values that travel with an execution: context values set with `with_context`, inherited by spawned
/// processes and function calls.
public struct ExecutionContext: Sendable {
    public var values: [String: Payload]

    public init(values: [String: Payload] = [:]) {
        self.values = values
    }

    public static let empty = ExecutionContext()
}
