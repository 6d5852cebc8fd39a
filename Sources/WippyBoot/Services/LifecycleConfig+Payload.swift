import WippyCodecs
public import WippyCore

extension LifecycleConfig {
    /// Reads an entry's `lifecycle` block (Go durations such as `10s`; zero values take the defaults, as in
    /// Wippy). Relative `requires`/`depends_on` names resolve in `namespace`.
    public init(payload: Payload?, namespace: String) throws(WippyError) {
        self.init()
        guard let table = payload?.tableValue else { return }
        func duration(_ key: String, _ fallback: Duration) throws(WippyError) -> Duration {
            guard let value = table[key], !value.isNull else { return fallback }
            let parsed: Duration
            if let text = value.stringValue {
                parsed = .nanoseconds(try GoDuration.parse(text).nanoseconds)
            } else if let seconds = value.doubleValue {
                parsed = .nanoseconds(Int64(seconds * 1e9))
            } else {
                throw WippyError.invalid("lifecycle.\(key) must be a duration such as \"10s\"")
            }
            return parsed == .zero ? fallback : parsed
        }
        autoStart = table["auto_start"]?.boolValue ?? false
        startTimeout = try duration("start_timeout", startTimeout)
        stopTimeout = try duration("stop_timeout", stopTimeout)
        stableThreshold = try duration("stable_threshold", stableThreshold)
        var requires: [EntryID] = []
        for key in ["requires", "depends_on"] {
            for item in table[key]?.tableValue?.array ?? [] {
                if let reference = item.stringValue { requires.append(EntryID.resolve(reference, in: namespace)) }
            }
        }
        self.requires = requires
        if let restart = table["restart"]?.tableValue {
            func restartDuration(_ key: String, _ fallback: Duration) throws(WippyError) -> Duration {
                guard let value = restart[key], !value.isNull else { return fallback }
                if let text = value.stringValue {
                    let parsed = Duration.nanoseconds(try GoDuration.parse(text).nanoseconds)
                    return parsed == .zero ? fallback : parsed
                }
                if let milliseconds = value.doubleValue { return milliseconds == 0 ? fallback : .milliseconds(milliseconds) }
                throw WippyError.invalid("lifecycle.restart.\(key) must be a duration")
            }
            var policy = RestartPolicy()
            policy.initialDelay = try restartDuration("initial_delay", policy.initialDelay)
            policy.maxDelay = try restartDuration("max_delay", policy.maxDelay)
            if let factor = restart["backoff_factor"]?.doubleValue, factor != 0 { policy.backoffFactor = factor }
            if let jitter = restart["jitter"]?.doubleValue, jitter != 0 { policy.jitter = jitter }
            if let attempts = restart["max_attempts"]?.intValue { policy.maxAttempts = Int(max(0, attempts)) }
            self.restart = policy
        }
    }
}
