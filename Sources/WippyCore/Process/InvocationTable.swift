import Synchronization

/// Identifies one invocation: its node and the PID of the process running it.
public struct InvocationKey: Hashable, Sendable {
    public let node: ObjectIdentifier
    public let pid: PID

    public init(node: ObjectIdentifier, pid: PID) {
        self.node = node
        self.pid = pid
    }
}

/// What a service hands to the invocation it starts (a queue delivery, an HTTP exchange), by that
/// invocation's process: registered before the invocation starts, looked up by the invocation's natives,
/// removed when it ends (so functions it calls, which are other processes, find nothing).
public final class InvocationTable<Value: Sendable>: Sendable {
    private let table = Mutex<[InvocationKey: Value]>([:])

    public init() {}

    public func register(_ key: InvocationKey, _ value: Value) { table.withLock { $0[key] = value } }

    public func remove(_ key: InvocationKey) { _ = table.withLock { $0.removeValue(forKey: key) } }

    public func value(_ key: InvocationKey) -> Value? { table.withLock { $0[key] } }

    /// The values registered now (for tests and status).
    public var values: [Value] { table.withLock { Array($0.values) } }
}
