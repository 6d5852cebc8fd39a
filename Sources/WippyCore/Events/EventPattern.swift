/// A dotted wildcard pattern, as the bus and `events.subscribe` use them.
///
/// The pattern is split on `.`: a literal segment matches itself; `*` matches exactly one segment; `**`
/// matches zero or more segments; `(a|b|c)` matches any of the alternatives. A pattern that is empty or
/// exactly `*` matches everything (the subscription shorthand for "all").
///
/// Lua subscriptions add Wippy's Lua-side rule: a trailing `*` is a prefix match (`orders.*` matches
/// `orders.a.b`, `ord*` matches `orders`); see ``init(_:trailingStarIsPrefix:)``.
public struct EventPattern: Sendable, Hashable, CustomStringConvertible {
    enum Segment: Sendable, Hashable {
        case literal(String)
        case one
        case any
        case alternatives(Set<String>)
    }

    public let text: String
    let segments: [Segment]
    let matchesEverything: Bool
    /// Set for a trailing-`*` pattern read as a prefix: the text before the `*` (no other wildcards in it).
    let prefix: String?

    public init(_ text: String) {
        self.init(text, trailingStarIsPrefix: false)
    }

    /// With `trailingStarIsPrefix`, a pattern ending in a single `*` matches whatever starts with the text
    /// before it (as `events.subscribe` does in Wippy); when that text holds wildcards itself, the final `*`
    /// matches one or more segments instead of exactly one.
    public init(_ text: String, trailingStarIsPrefix: Bool) {
        self.text = text
        matchesEverything = text.isEmpty || text == "*"
        var segments = EventPattern.parse(text)
        var prefix: String?
        if trailingStarIsPrefix, !matchesEverything, text.hasSuffix("*"), !text.hasSuffix("**") {
            let head = text.dropLast()
            if !head.contains("*"), !head.contains("(") {
                prefix = String(head)
            } else if segments.last == .one {
                segments.append(.any)
            }
        }
        self.segments = segments
        self.prefix = prefix
    }

    private static func parse(_ text: String) -> [Segment] {
        text.split(separator: ".", omittingEmptySubsequences: false).map { part in
            if part == "*" { return .one }
            if part == "**" { return .any }
            if part.count >= 2, part.first == "(", part.last == ")" {
                return .alternatives(Set(part.dropFirst().dropLast().split(separator: "|").map(String.init)))
            }
            return .literal(String(part))
        }
    }

    public var description: String { text }

    /// True when `value` matches the pattern.
    public func matches(_ value: String) -> Bool {
        if matchesEverything { return true }
        if let prefix { return value.utf8.count > prefix.utf8.count && value.hasPrefix(prefix) }
        if segments.count == 1, case .literal(let literal) = segments[0] { return literal == value }
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        return match(segmentAt: 0, partAt: 0, parts)
    }

    private func match(segmentAt s: Int, partAt p: Int, _ parts: [Substring]) -> Bool {
        if s == segments.count { return p == parts.count }
        switch segments[s] {
        case .any:
            // zero or more segments
            var index = p
            while index <= parts.count {
                if match(segmentAt: s + 1, partAt: index, parts) { return true }
                index += 1
            }
            return false
        case .one:
            guard p < parts.count, !parts[p].isEmpty else { return false }
            return match(segmentAt: s + 1, partAt: p + 1, parts)
        case .literal(let literal):
            guard p < parts.count, parts[p] == literal else { return false }
            return match(segmentAt: s + 1, partAt: p + 1, parts)
        case .alternatives(let options):
            guard p < parts.count, options.contains(String(parts[p])) else { return false }
            return match(segmentAt: s + 1, partAt: p + 1, parts)
        }
    }
}
