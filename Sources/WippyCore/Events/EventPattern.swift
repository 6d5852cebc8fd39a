/// A dotted wildcard pattern, as the bus and `events.subscribe` use them.
///
/// The pattern is split on `.`: a literal segment matches itself; `*` matches exactly one segment; `**`
/// matches zero or more segments; `(a|b|c)` matches any of the alternatives. A pattern that is empty or
/// exactly `*` matches everything (the subscription shorthand for "all").
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

    public init(_ text: String) {
        self.text = text
        matchesEverything = text.isEmpty || text == "*"
        segments = text.split(separator: ".", omittingEmptySubsequences: false).map { part in
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
