public import WippyCore
import Synchronization

/// The exchanges whose endpoint invocation runs, by that invocation's process (a node and a PID):
/// registered by the server's dispatcher before the invocation starts, looked up by `http.request()` and
/// `http.response()`, removed when it ends (so functions it calls, which are other processes, find none).
public final class ActiveExchanges: Sendable {
    public struct Key: Hashable, Sendable {
        public let node: ObjectIdentifier
        public let pid: PID

        public init(node: ObjectIdentifier, pid: PID) {
            self.node = node
            self.pid = pid
        }
    }

    public static let shared = ActiveExchanges()
    private let table = Mutex<[Key: HTTPExchange]>([:])

    public func register(_ key: Key, _ exchange: HTTPExchange) { table.withLock { $0[key] = exchange } }

    public func remove(_ key: Key) { _ = table.withLock { $0.removeValue(forKey: key) } }

    public func exchange(_ key: Key) -> HTTPExchange? { table.withLock { $0[key] } }
}
