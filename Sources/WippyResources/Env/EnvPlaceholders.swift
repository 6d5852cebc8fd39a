public import WippyCore
#if canImport(Glibc)
import Glibc
#endif

/// Where `${env:NAME}` placeholders and legacy `<field>_env` settings read their values: a function from
/// a variable name to its value (nil when unset).
///
/// The application resolves them through its env registry (``EnvRegistry/lookup``: declared `env.variable`
/// entries first, then the OS environment); ``process`` reads the OS environment only; tests pass a dictionary.
public struct EnvironmentLookup: Sendable {
    public let value: @Sendable (String) -> String?
    /// False when the registry already expanded the entry's placeholders (``EnvEntryExpander``): then
    /// ``EnvPlaceholders/expand(_:environment:)`` leaves text as it is (a second pass would turn a `$${`
    /// escape, or a value holding `${`, into something else), and the lookup serves only the legacy
    /// `<field>_env` settings.
    public let expandsPlaceholders: Bool

    public init(_ value: @escaping @Sendable (String) -> String?, expandsPlaceholders: Bool = true) {
        self.value = value
        self.expandsPlaceholders = expandsPlaceholders
    }

    /// The same variables, for entries whose placeholders were expanded already.
    public var afterExpansion: EnvironmentLookup { EnvironmentLookup(value, expandsPlaceholders: false) }

    /// The environment of this process.
    public static let process = EnvironmentLookup { name in
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }

    /// A fixed set of variables (tests).
    public static func fixed(_ variables: [String: String]) -> EnvironmentLookup {
        EnvironmentLookup { variables[$0] }
    }
}

/// Expands the placeholders of an entry's string settings, at decode time (the registry keeps the raw text,
/// so a secret never shows in `registry.get` or the history):
///
/// - `${env:NAME}`: the variable's value; an error when it is not set.
/// - `${env:NAME|default}`: the value, or `default` when the variable is not set.
/// - `${NAME|default}`: the same, for an upper-snake `NAME` (`DB_HOST`); the default is required, so a bare
///   `${NAME}` is left as it is.
/// - `$${` is a literal `${`.
///
/// Text around placeholders is kept, so `postgres-${env:REGION}` works.
public enum EnvPlaceholders {
    /// `text` with its placeholders replaced.
    ///
    /// - Throws: `Invalid` naming the variable when `${env:NAME}` has no value and no default, or for a
    ///   placeholder that is not closed.
    public static func expand(_ text: String, environment: EnvironmentLookup) throws(WippyError) -> String {
        guard environment.expandsPlaceholders, text.contains("${") else { return text }
        var output = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            output += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("${") {
                // `$${`: a literal `${`
                output += "${"
                rest = after.dropFirst(2)
                continue
            }
            guard after.hasPrefix("{") else {
                output += "$"
                rest = after
                continue
            }
            let body = after.dropFirst()
            guard let close = body.firstIndex(of: "}") else {
                throw WippyError.invalid("unclosed placeholder '\(rest)': expected ${env:NAME} or ${env:NAME|default}")
            }
            let inner = body[..<close]
            rest = body[body.index(after: close)...]
            output += try replacement(inner, environment: environment) ?? "${\(inner)}"
        }
        output += rest
        return output
    }

    /// The value of one placeholder body (what is between `${` and `}`), or nil to keep it as written.
    private static func replacement(_ inner: Substring, environment: EnvironmentLookup) throws(WippyError) -> String? {
        let name: Substring
        let fallback: Substring?
        if let bar = inner.firstIndex(of: "|") {
            name = inner[..<bar]
            fallback = inner[inner.index(after: bar)...]
        } else {
            name = inner
            fallback = nil
        }
        if name.hasPrefix("env:") {
            let variable = String(name.dropFirst(4))
            guard !variable.isEmpty else { throw WippyError.invalid("empty variable name in placeholder '${\(inner)}'") }
            if let value = environment.value(variable) { return value }
            if let fallback { return String(fallback) }
            throw WippyError.invalid("environment variable \(variable) is not set (placeholder ${\(inner)}; ${env:\(variable)|default} gives a default)")
        }
        // `${NAME|default}`: only upper-snake names with a default; anything else is left as written.
        guard let fallback, isUpperSnake(name) else { return nil }
        return environment.value(String(name)) ?? String(fallback)
    }

    private static func isUpperSnake(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, ("A"..."Z").contains(first) || first == "_" else { return false }
        return name.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
