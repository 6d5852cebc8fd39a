public import WippyCore
import WippyCodecs

/// The flat options map of one middleware list (a router's `options` or `post_options`): keys
/// `name.option`, some middlewares also reading legacy underscore keys. A key nobody reads is ignored
/// (lua-api-io §11.6); a value that cannot be what its key needs is a config error naming the key.
public struct HTTPMiddlewareOptions: Sendable, Equatable {
    public let values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// The first of `keys` that is set (the dotted key, then legacy ones).
    public func string(_ keys: String...) -> String? {
        for key in keys { if let value = values[key] { return value } }
        return nil
    }

    public func bool(_ keys: String..., default fallback: Bool) throws(WippyError) -> Bool {
        guard let (key, text) = first(keys) else { return fallback }
        switch text.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off", "": return false
        default: throw WippyError.invalid("option '\(key)' must be true or false (got \"\(text)\")")
        }
    }

    public func int(_ keys: String..., default fallback: Int) throws(WippyError) -> Int {
        guard let (key, text) = first(keys) else { return fallback }
        guard let value = Int(text.trimmingCharacters(in: " ")), value >= 0 else {
            throw WippyError.invalid("option '\(key)' must be a whole number (got \"\(text)\")")
        }
        return value
    }

    /// A Go duration (`"1m"`, `"30s"`).
    public func duration(_ keys: String..., default fallback: Duration) throws(WippyError) -> Duration {
        guard let (key, text) = first(keys) else { return fallback }
        do {
            let value = try GoDuration.parse(text.trimmingCharacters(in: " "))
            guard value.nanoseconds > 0 else { throw WippyError.invalid("must be positive") }
            return .nanoseconds(value.nanoseconds)
        } catch {
            throw WippyError.invalid("option '\(key)' must be a duration such as \"1m\" (got \"\(text)\")")
        }
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    public func list(_ keys: String..., default fallback: [String]) -> [String] {
        guard let (_, text) = first(keys) else { return fallback }
        return text.split(separator: ",").map { String($0).trimmingCharacters(in: " ") }.filter { !$0.isEmpty }
    }

    private func first(_ keys: [String]) -> (String, String)? {
        for key in keys { if let value = values[key] { return (key, value) } }
        return nil
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set || text.first == "\t" { text.removeFirst() }
        while text.last == set || text.last == "\t" { text.removeLast() }
        return String(text)
    }
}
