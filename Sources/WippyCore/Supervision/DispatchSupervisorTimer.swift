import Dispatch

/// The real-time ``SupervisorTimer``, on a Dispatch queue.
public struct DispatchSupervisorTimer: SupervisorTimer {
    public init() {}

    public var now: ContinuousClock.Instant { .now }

    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) {
        let nanoseconds = max(0, Int(delay.seconds * 1e9))
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds), execute: action)
    }
}
