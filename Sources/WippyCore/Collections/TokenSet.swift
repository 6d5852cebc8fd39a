/// A set of tokens or sequence numbers that usually holds a handful of them (activities in flight):
/// a ``TokenMap`` without values, with the same linear search up to its limit and hashing past it.
public struct TokenSet: Sendable, Equatable {
    private var map = TokenMap<Bool>()

    public init() {}

    public var isEmpty: Bool { map.isEmpty }
    public var count: Int { map.count }

    public func contains(_ token: UInt64) -> Bool { map[token] != nil }

    /// Adds `token`; false when it was already there.
    @discardableResult
    public mutating func insert(_ token: UInt64) -> Bool {
        guard map[token] == nil else { return false }
        map[token] = true
        return true
    }

    /// Removes `token`; false when it was not there.
    @discardableResult
    public mutating func remove(_ token: UInt64) -> Bool { map.removeValue(forKey: token) != nil }

    /// The tokens, in no particular order.
    public var elements: Set<UInt64> { Set(map.entries.map(\.key)) }

    public static func == (lhs: TokenSet, rhs: TokenSet) -> Bool { lhs.elements == rhs.elements }
}
