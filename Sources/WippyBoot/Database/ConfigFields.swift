import WippyCodecs
import WippyCore
import WippyResources

/// Typed reads of one mapping of an entry's settings, with errors that name the field (`pool.max_open`)
/// and what was found. Keys outside the mapping's known set are refused when it is opened, so a misspelt
/// setting is an error rather than a setting that silently does nothing.
///
/// Text settings have their `${env:...}` placeholders expanded (``EnvPlaceholders``).
struct ConfigFields {
    let table: PayloadTable
    /// Dotted path of this mapping inside the entry's data ("" at the top).
    let path: String
    let environment: EnvironmentLookup

    /// - Parameters:
    ///   - payload: the mapping; nil or null reads as an empty one.
    ///   - allowed: the keys it may hold.
    /// - Throws: `Invalid` when `payload` is not a mapping or holds a key outside `allowed`.
    init(_ payload: Payload?, path: String, allowed: Set<String>, environment: EnvironmentLookup) throws(WippyError) {
        self.path = path
        self.environment = environment
        guard let payload, !payload.isNull else {
            table = PayloadTable(isObject: true)
            return
        }
        guard let table = payload.tableValue, table.array.isEmpty else {
            let what = path.isEmpty ? "the entry's settings" : "'\(path)'"
            throw WippyError.invalid("\(what) must be a mapping (got \(ConfigFields.describe(payload)))")
        }
        for field in table.fields {
            guard case .string(let key) = field.key else {
                throw WippyError.invalid("\(path.isEmpty ? "" : "'\(path)': ")field names must be text (got \(field.key))")
            }
            guard allowed.contains(key) else {
                let dotted = { (key: String) in path.isEmpty ? key : "\(path).\(key)" }
                throw WippyError.invalid(
                    "unknown field '\(dotted(key))' (known: \(allowed.sorted().map(dotted).joined(separator: ", ")))")
            }
        }
        self.table = table
    }

    /// The dotted name of `key` in this mapping.
    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The value under `key`, nil when absent or null.
    func value(_ key: String) -> Payload? {
        guard let value = table[key], !value.isNull else { return nil }
        return value
    }

    func has(_ key: String) -> Bool { value(key) != nil }

    func wrong(_ key: String, _ expected: String, _ value: Payload) -> WippyError {
        WippyError.invalid("'\(name(key))' must be \(expected) (got \(ConfigFields.describe(value)))")
    }

    func missing(_ key: String, _ what: String) -> WippyError {
        WippyError.invalid("'\(name(key))' is required (\(what))")
    }

    /// A text setting, placeholders expanded.
    func string(_ key: String) throws(WippyError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrong(key, "text", value) }
        do {
            return try EnvPlaceholders.expand(text, environment: environment)
        } catch {
            throw WippyError.invalid("'\(name(key))': \(error.message)")
        }
    }

    /// A text setting given directly (`key`) or through the deprecated `key_env` sibling, which names an
    /// environment variable. Giving both is an error, as is a `key_env` naming a variable that is not set.
    func stringOrLegacyEnv(_ key: String) throws(WippyError) -> String? {
        let legacyKey = key + "_env"
        let direct = try string(key)
        guard let legacy = value(legacyKey) else { return direct }
        guard case .string(let variable) = legacy, !variable.isEmpty else { throw wrong(legacyKey, "a variable name", legacy) }
        guard direct == nil else {
            throw WippyError.invalid("give either '\(name(key))' or '\(name(legacyKey))' (deprecated), not both")
        }
        guard let resolved = environment.value(variable) else {
            throw WippyError.invalid("'\(name(legacyKey))': environment variable \(variable) is not set")
        }
        return resolved
    }

    func bool(_ key: String) throws(WippyError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard let flag = value.boolValue else { throw wrong(key, "true or false", value) }
        return flag
    }

    /// A whole number; text holding one (what a placeholder gives) is read too.
    func integer(_ key: String) throws(WippyError) -> Int64? {
        guard let value = value(key) else { return nil }
        return try ConfigFields.integer(value, key: key, fields: self)
    }

    static func integer(_ value: Payload, key: String, fields: ConfigFields) throws(WippyError) -> Int64 {
        if case .string = value {
            let text = (try fields.string(key) ?? "").trimmedBlanks
            guard let number = Int64(text) else { throw fields.wrong(key, "a whole number", .string(text)) }
            return number
        }
        guard let number = value.intValue else { throw fields.wrong(key, "a whole number", value) }
        return number
    }

    /// A whole number of zero or more.
    func count(_ key: String) throws(WippyError) -> Int? {
        guard let number = try integer(key) else { return nil }
        guard number >= 0, let count = Int(exactly: number) else {
            throw wrong(key, "a whole number of 0 or more", value(key) ?? .int(number))
        }
        return count
    }

    /// A duration: a Go duration string (`"30s"`, `"1h30m"`) or a number of `unit`s (milliseconds in
    /// Wippy's settings). Negative durations are refused.
    func duration(_ key: String, unit: Duration = .milliseconds(1)) throws(WippyError) -> Duration? {
        guard let value = value(key) else { return nil }
        let parsed: Duration
        if case .string = value {
            let text = try string(key) ?? ""
            do {
                parsed = .nanoseconds(try GoDuration.parse(text).nanoseconds)
            } catch {
                throw WippyError.invalid("'\(name(key))' must be a duration such as \"30s\" or a number of milliseconds: \(error.message)")
            }
        } else if let number = value.doubleValue, number.isFinite, value.boolValue == nil {
            parsed = unit * number
        } else {
            throw wrong(key, "a duration such as \"30s\" or a number of milliseconds", value)
        }
        guard parsed >= .zero else { throw wrong(key, "a duration of zero or more", value) }
        return parsed
    }

    /// A mapping from names to scalar values, the values as text (`options: {sslmode: disable,
    /// connect_timeout: 10}`).
    func textMap(_ key: String) throws(WippyError) -> [String: String] {
        guard let value = value(key) else { return [:] }
        guard let table = value.tableValue, table.array.isEmpty else { throw wrong(key, "a mapping", value) }
        var map: [String: String] = [:]
        for field in table.fields {
            guard case .string(let option) = field.key else { throw wrong(key, "a mapping with text keys", value) }
            switch field.value {
            case .string(let text):
                do {
                    map[option] = try EnvPlaceholders.expand(text, environment: environment)
                } catch {
                    throw WippyError.invalid("'\(name(key)).\(option)': \(error.message)")
                }
            case .int(let number): map[option] = String(number)
            case .double(let number): map[option] = String(number)
            case .bool(let flag): map[option] = flag ? "true" : "false"
            default:
                throw WippyError.invalid(
                    "'\(name(key)).\(option)' must be text, a number or true/false (got \(ConfigFields.describe(field.value)))")
            }
        }
        return map
    }

    /// An entry ID, relative names resolved in `namespace`.
    func entryID(_ key: String, in namespace: String) throws(WippyError) -> EntryID? {
        guard let text = try string(key) else { return nil }
        guard !text.isEmpty else { throw wrong(key, "an entry ID", .string(text)) }
        return EntryID.resolve(text, in: namespace)
    }

    /// How errors show a value.
    static func describe(_ value: Payload) -> String {
        switch value {
        case .string(let text): return "\"\(text)\""
        case .table(let table): return table.array.isEmpty && (table.isObject || !table.fields.isEmpty) ? "a mapping" : "a list"
        case .bytes: return "bytes"
        case .null: return "null"
        default: return value.description
        }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmedBlanks: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let end = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(scalars[start...end])
    }
}
