import Dispatch

/// A repeating timer on a global queue (a store's expiry sweep). Cancelled by ``cancel()`` (idempotent).
final class PeriodicTimer: @unchecked Sendable {
    // Set once in init; DispatchSource is thread-safe for cancel.
    private let timer: any DispatchSourceTimer

    init(every interval: Duration, _ action: @escaping @Sendable () -> Void) {
        let nanos = max(1_000_000, Int(interval.components.seconds) * 1_000_000_000 + Int(interval.components.attoseconds / 1_000_000_000))
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + .nanoseconds(nanos), repeating: .nanoseconds(nanos))
        timer.setEventHandler(handler: action)
        timer.resume()
    }

    func cancel() { timer.cancel() }

    deinit { timer.cancel() }
}
