import WippyCodecs
public import WippyCore

extension LifecycleConfig {
    /// Reads the `lifecycle` block of service entry `id` (Go durations such as `10s`; zero values take the
    /// defaults, as in Wippy). Relative `requires`/`depends_on` names resolve in the entry's namespace.
    ///
    /// Wrong types and out-of-range values are errors naming the field (`auto_start: "yes"`, `max_attempts:
    /// "x"`, a negative delay, a service that requires itself): Wippy would ignore some of them, but a setting
    /// that silently does nothing is worse than a boot that says why it stopped. Unknown keys are ignored.
    public init(payload: Payload?, entry id: EntryID) throws(WippyError) {
        self.init()
        guard let payload, !payload.isNull else { return }
        guard let table = payload.tableValue, table.array.isEmpty else {
            throw WippyError.invalid("lifecycle must be a mapping such as {auto_start: true} (got \(LifecycleField.describe(payload)))")
        }
        let fields = LifecycleField(table: table, path: "lifecycle")
        autoStart = try fields.bool("auto_start") ?? false
        if let startup = try fields.string("startup"), startup != "required" && startup != "optional" {
            throw WippyError.invalid("lifecycle.startup must be \"required\" or \"optional\" (got \"\(startup)\")")
        }
        startTimeout = try fields.duration("start_timeout", unit: .seconds(1)) ?? startTimeout
        stopTimeout = try fields.duration("stop_timeout", unit: .seconds(1)) ?? stopTimeout
        stableThreshold = try fields.duration("stable_threshold", unit: .seconds(1)) ?? stableThreshold
        var requires: [EntryID] = []
        for key in ["requires", "depends_on"] {
            for reference in try fields.strings(key) {
                let required = EntryID.resolve(reference, in: id.namespace)
                if required == id {
                    throw WippyError.invalid("lifecycle.\(key) names the service itself: a service cannot wait for itself")
                }
                requires.append(required)
            }
        }
        self.requires = requires
        guard let restartValue = table["restart"], !restartValue.isNull else { return }
        guard let restartTable = restartValue.tableValue, restartTable.array.isEmpty else {
            throw WippyError.invalid("lifecycle.restart must be a mapping (got \(LifecycleField.describe(restartValue)))")
        }
        let restart = LifecycleField(table: restartTable, path: "lifecycle.restart")
        var policy = RestartPolicy()
        // Plain numbers in `restart` are milliseconds, as in Wippy's retry options.
        policy.initialDelay = try restart.duration("initial_delay", unit: .milliseconds(1)) ?? policy.initialDelay
        policy.maxDelay = try restart.duration("max_delay", unit: .milliseconds(1)) ?? policy.maxDelay
        if let factor = try restart.number("backoff_factor"), factor != 0 {
            guard factor >= 1 else {
                throw WippyError.invalid("lifecycle.restart.backoff_factor must be at least 1 (got \(factor))")
            }
            policy.backoffFactor = factor
        }
        if let jitter = try restart.number("jitter"), jitter != 0 {
            guard jitter > 0 && jitter <= 1 else {
                throw WippyError.invalid("lifecycle.restart.jitter must be between 0 and 1 (got \(jitter))")
            }
            policy.jitter = jitter
        }
        if let attempts = try restart.integer("max_attempts") {
            guard attempts >= 0 else {
                throw WippyError.invalid("lifecycle.restart.max_attempts must be 0 (no limit) or more (got \(attempts))")
            }
            policy.maxAttempts = Int(attempts)
        }
        self.restart = policy
    }
}

/// Typed reads of one mapping of a `lifecycle` block, with errors that name the field and what was found.
private struct LifecycleField {
    let table: PayloadTable
    let path: String

    private func value(_ key: String) -> Payload? {
        guard let value = table[key], !value.isNull else { return nil }
        return value
    }

    private func wrong(_ key: String, _ expected: String, _ value: Payload) -> WippyError {
        WippyError.invalid("\(path).\(key) must be \(expected) (got \(LifecycleField.describe(value)))")
    }

    func bool(_ key: String) throws(WippyError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.boolValue else { throw wrong(key, "true or false", value) }
        return flag
    }

    func string(_ key: String) throws(WippyError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrong(key, "a string", value) }
        return text
    }

    func number(_ key: String) throws(WippyError) -> Double? {
        guard let value = value(key) else { return nil }
        guard let number = value.doubleValue, number.isFinite else { throw wrong(key, "a number", value) }
        return number
    }

    func integer(_ key: String) throws(WippyError) -> Int64? {
        guard let value = value(key) else { return nil }
        guard let number = value.intValue else { throw wrong(key, "a whole number", value) }
        return number
    }

    /// A list of strings (a single string counts as a list of one).
    func strings(_ key: String) throws(WippyError) -> [String] {
        guard let value = value(key) else { return [] }
        if case .string(let one) = value { return [one] }
        guard let list = value.tableValue, list.fields.isEmpty else { throw wrong(key, "a list of entry IDs", value) }
        var items: [String] = []
        for item in list.array {
            guard case .string(let text) = item, !text.isEmpty else { throw wrong(key, "a list of entry IDs", value) }
            items.append(text)
        }
        return items
    }

    /// A Go duration string (`"10s"`) or a plain number of `unit`s; zero means "use the default" (nil).
    func duration(_ key: String, unit: Duration) throws(WippyError) -> Duration? {
        guard let value = value(key) else { return nil }
        let parsed: Duration
        if case .string(let text) = value {
            do {
                parsed = .nanoseconds(try GoDuration.parse(text).nanoseconds)
            } catch {
                throw WippyError.invalid("\(path).\(key): \(error.message)")
            }
        } else if let number = value.doubleValue, number.isFinite {
            parsed = unit * number
        } else {
            throw wrong(key, "a duration such as \"10s\"", value)
        }
        guard parsed >= .zero else { throw wrong(key, "a duration of zero or more", value) }
        return parsed == .zero ? nil : parsed
    }

    static func describe(_ value: Payload) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        case .table: return value.tableValue?.array.isEmpty == false ? "a list" : "a mapping"
        case .bytes: return "bytes"
        default: return value.description
        }
    }
}
