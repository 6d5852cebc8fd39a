/// How a failed service is restarted: exponential back-off with jitter, optionally bounded.
public struct RestartPolicy: Sendable, Equatable {
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var backoffFactor: Double
    /// Fraction of the delay added or removed at random (0.1 = ±10%).
    public var jitter: Double
    /// Consecutive start attempts allowed per failure streak; 0 = unlimited.
    public var maxAttempts: Int

    public init(
        initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(90), backoffFactor: Double = 2.0,
        jitter: Double = 0.1, maxAttempts: Int = 0
    ) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.backoffFactor = backoffFactor
        self.jitter = jitter
        self.maxAttempts = maxAttempts
    }

    /// The delay before retry number `attempt` (1-based): `min(initial × factor^(attempt-1), max)`, then
    /// jittered by `random` in [-1, 1] times `jitter`.
    public func delay(attempt: Int, random: Double) -> Duration {
        let initial = initialDelay.seconds
        var seconds = initial * pow(backoffFactor, Double(max(0, attempt - 1)))
        seconds = min(seconds, maxDelay.seconds)
        seconds += seconds * jitter * max(-1, min(1, random))
        return .nanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// True if another attempt is allowed after `attempts` consecutive ones.
    public func allowsRetry(after attempts: Int) -> Bool { maxAttempts == 0 || attempts < maxAttempts }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

private func pow(_ base: Double, _ exponent: Double) -> Double {
    var result = 1.0
    var remaining = Int(exponent)
    var factor = base
    while remaining > 0 {
        if remaining & 1 == 1 { result *= factor }
        factor *= factor
        remaining >>= 1
    }
    return result
}
