#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time for time-based UUIDs.
enum UUIDClock {
    /// 100-ns ticks from 1582-10-15 00:00 UTC (the Gregorian reform, the UUID epoch) to the Unix epoch.
    static let gregorianOffsetTicks: Int64 = 122_192_928_000_000_000

    /// Nanoseconds since the Unix epoch, from the system's real-time clock.
    static func unixNanoseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec)
    }
}
