/// A route's path pattern with Go 1.22 `ServeMux` syntax and precedence (lua-api-io §1.3, §11.6).
///
/// - `/a/b`: literal segments; `{name}` one non-empty segment; `:name` is written `{name}`.
/// - `{name...}` (last only): the rest of the path; a pattern ending in `/` matches its whole subtree
///   (an anonymous `{...}`); `{$}` (last only) matches only the path ending in that slash.
///
/// Two patterns are compared by the sets of paths they match: one is more specific than the other when it
/// matches a strict subset; patterns that match some paths in common with neither more specific conflict.
public struct RoutePattern: Hashable, Sendable, CustomStringConvertible {
    public enum Segment: Hashable, Sendable {
        case literal(String)
        /// `{name}`: one segment.
        case wildcard(String)
        /// `{name...}` or a trailing `/` (name `""`): the rest of the path, possibly empty.
        case rest(String)
        /// `{$}`: the end of a path that ends in `/`.
        case end
    }

    public let segments: [Segment]
    /// The pattern as written (after `:name` became `{name}`).
    public let text: String

    public var description: String { text }

    /// Parses `text`, which must start with `/`.
    public init(_ text: String) throws(RoutePatternError) {
        guard text.hasPrefix("/") else { throw RoutePatternError(pattern: text, reason: "must start with '/'") }
        var segments: [Segment] = []
        var names: Set<String> = []
        let parts = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        var written: [String] = []
        for (index, rawPart) in parts.enumerated() {
            let isLast = index == parts.count - 1
            var part = String(rawPart)
            if part.hasPrefix(":"), part.count > 1 { part = "{\(part.dropFirst())}" }
            written.append(part)
            if part.isEmpty {
                guard isLast else { throw RoutePatternError(pattern: text, reason: "empty segment") }
                // "/" alone, or a trailing slash: the subtree.
                segments.append(.rest(""))
                continue
            }
            guard part.hasPrefix("{") else {
                if part.contains("{") || part.contains("}") {
                    throw RoutePatternError(pattern: text, reason: "a wildcard must be a whole segment ('\(part)')")
                }
                segments.append(.literal(RoutePattern.unescape(part)))
                continue
            }
            guard part.hasSuffix("}"), part.count >= 2 else {
                throw RoutePatternError(pattern: text, reason: "unclosed '{' in '\(part)'")
            }
            var name = String(part.dropFirst().dropLast())
            if name == "$" {
                guard isLast else { throw RoutePatternError(pattern: text, reason: "{$} must be the last segment") }
                segments.append(.end)
                continue
            }
            var multi = false
            if name.hasSuffix("...") {
                guard isLast else { throw RoutePatternError(pattern: text, reason: "{\(name)} must be the last segment") }
                name.removeLast(3)
                multi = true
            }
            guard RoutePattern.isIdentifier(name) else {
                throw RoutePatternError(pattern: text, reason: "bad wildcard name '\(name)'")
            }
            guard names.insert(name).inserted else {
                throw RoutePatternError(pattern: text, reason: "duplicate wildcard name '\(name)'")
            }
            segments.append(multi ? .rest(name) : .wildcard(name))
        }
        self.segments = segments
        self.text = "/" + written.joined(separator: "/")
    }

    // MARK: - Matching

    /// The captures of `path` (already split into unescaped segments, see ``RoutePath``), or `nil` when the
    /// pattern does not match it. `{name...}` captures are left out (lua-api-io §1.3), so are empty ones.
    public func match(_ path: RoutePath) -> [(String, String)]? {
        var captures: [(String, String)] = []
        var index = 0
        for segment in segments {
            switch segment {
            case .rest:
                // A subtree `/a/` holds `/a/` and deeper, not `/a`.
                return index < path.segments.count || path.trailingSlash ? captures : nil
            case .end:
                return index == path.segments.count && path.trailingSlash ? captures : nil
            case .literal(let literal):
                guard index < path.segments.count, path.segments[index] == literal else { return nil }
            case .wildcard(let name):
                guard index < path.segments.count, !path.segments[index].isEmpty else { return nil }
                captures.append((name, path.segments[index]))
            }
            index += 1
        }
        // Every segment matched and no subtree: the path must end here, without a trailing slash (a pattern
        // ending in a slash is a subtree).
        return index == path.segments.count && !path.trailingSlash ? captures : nil
    }

    // MARK: - Precedence

    /// How the paths this pattern matches relate to those `other` matches.
    public func relation(to other: RoutePattern) -> RouteRelation {
        let (a, b) = (segments, other.segments)
        let aRest = a.last.map(RoutePattern.isRest) ?? false
        let bRest = b.last.map(RoutePattern.isRest) ?? false
        if a.count != b.count && !aRest && !bRest { return .disjoint }
        var relation = RouteRelation.equivalent
        let common = min(a.count, b.count)
        for index in 0..<common {
            relation = relation.combined(with: RoutePattern.compare(a[index], b[index]))
            if relation == .disjoint { return .disjoint }
        }
        if a.count == b.count { return relation }
        if a.count < b.count && aRest { return relation.combined(with: .moreGeneral) }
        if b.count < a.count && bRest { return relation.combined(with: .moreSpecific) }
        return .disjoint
    }

    private static func isRest(_ segment: Segment) -> Bool {
        if case .rest = segment { return true }
        return false
    }

    private static func compare(_ a: Segment, _ b: Segment) -> RouteRelation {
        switch (a, b) {
        case (.rest, .rest): return .equivalent
        case (.rest, _): return .moreGeneral
        case (_, .rest): return .moreSpecific
        case (.wildcard, .wildcard): return .equivalent
        case (.end, .end): return .equivalent
        // `{$}` stands for the empty last segment of a path ending in `/`, which `{name}` never matches.
        case (.wildcard, .end), (.end, .wildcard): return .disjoint
        case (.wildcard, .literal): return .moreGeneral
        case (.literal, .wildcard): return .moreSpecific
        case (.literal(let x), .literal(let y)): return x == y ? .equivalent : .disjoint
        case (.literal, .end), (.end, .literal): return .disjoint
        }
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }

    /// Percent-decodes `text`; malformed escapes are kept as they are.
    static func unescape(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "%"), index + 2 < source.count,
                let high = hexValue(source[index + 1]), let low = hexValue(source[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A request path split into unescaped segments: `/a/b/` is `["a", "b"]` with a trailing slash; `/` is
/// `[]` with a trailing slash.
public struct RoutePath: Sendable, Equatable {
    public let segments: [String]
    public let trailingSlash: Bool

    public init(_ path: String) {
        var parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { RoutePattern.unescape(String($0)) }
        var trailing = false
        if parts.last == "" {
            parts.removeLast()
            trailing = true
        }
        segments = parts
        trailingSlash = trailing
    }
}

/// How the request sets of two patterns (or methods) relate.
public enum RouteRelation: Sendable, Equatable {
    case equivalent, moreSpecific, moreGeneral, overlaps, disjoint

    var inverse: RouteRelation {
        switch self {
        case .moreSpecific: .moreGeneral
        case .moreGeneral: .moreSpecific
        default: self
        }
    }

    /// The relation of two requirements that must both hold (path and method; segment after segment).
    func combined(with other: RouteRelation) -> RouteRelation {
        switch self {
        case .equivalent: return other
        case .disjoint: return .disjoint
        case .overlaps: return other == .disjoint ? .disjoint : .overlaps
        case .moreSpecific, .moreGeneral:
            switch other {
            case .equivalent: return self
            case inverse: return .overlaps
            default: return other
            }
        }
    }
}

/// A pattern that cannot be parsed.
public struct RoutePatternError: Error, Sendable, CustomStringConvertible {
    public let pattern: String
    public let reason: String

    public var description: String { "bad path pattern '\(pattern)': \(reason)" }
}
