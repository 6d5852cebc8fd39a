#if canImport(Glibc)
import Glibc
#endif

/// The clock of a supervisor and the way it schedules delayed work (real time, or a manual clock in tests).
public protocol SupervisorTimer: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Runs `action` once, `delay` from now, on any thread.
    func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void)
    /// Wall-clock time of `instant`, in nanoseconds since the Unix epoch (for status reports).
    func unixNanoseconds(at instant: ContinuousClock.Instant) -> Int64
}

extension SupervisorTimer {
    public func unixNanoseconds(at instant: ContinuousClock.Instant) -> Int64 {
        let offset = (instant - now).nanosecondsClamped
        return WallClockAnchor.nowNanoseconds() &+ offset
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }
}

enum WallClockAnchor {
    static func nowNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
