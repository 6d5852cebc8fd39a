/// A process identifier: `{node@host|0x0002a}`, or `{host|0x0002a}` when the node is the local default.
///
/// `uniq` is a per-node counter, so it alone identifies a process on this node; equality and hashing use
/// all three parts but compare the counter first.
public struct PID: Sendable, Hashable, CustomStringConvertible {
    public var node: String
    /// The relay host that owns the process: a host entry ID such as `app:processes`, or `node:control`.
    public var host: String
    public var uniq: UInt64

    public init(node: String = "", host: String, uniq: UInt64) {
        self.node = node
        self.host = host
        self.uniq = uniq
    }

    /// Parses `{host|uniq}` or `{node@host|uniq}`; `uniq` is `0x`-prefixed hex.
    public init?(parsing string: String) {
        guard string.hasPrefix("{"), string.hasSuffix("}"), string.count >= 3 else { return nil }
        let inner = string.dropFirst().dropLast()
        guard let bar = inner.lastIndex(of: "|") else { return nil }
        var left = inner[..<bar]
        let right = inner[inner.index(after: bar)...]
        if let firstBar = left.firstIndex(of: "|") { left = left[..<firstBar] }
        var node = ""
        if let at = left.firstIndex(of: "@") {
            node = String(left[..<at])
            left = left[left.index(after: at)...]
        }
        if WorkflowIdentity.isWorkflowHost(String(left)) {
            guard !left.isEmpty, !right.isEmpty else { return nil }
            self.init(node: node, host: String(left), uniq: WorkflowIdentity.uniq(for: String(right)))
            return
        }
        var digits = Substring(right)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !left.isEmpty, let value = UInt64(digits, radix: 16) else { return nil }
        self.init(node: node, host: String(left), uniq: value)
    }

    /// `0x` + lowercase hex, zero-padded to at least five digits.
    public var uniqString: String {
        let hex = String(uniq, radix: 16)
        return "0x" + (hex.count < 5 ? String(repeating: "0", count: 5 - hex.count) + hex : hex)
    }

    /// The text before the counter (or workflow ID): `{node@host|`, or `{host|` without a node. (Messages of
    /// senders not yet named on a worker carry this and their counter; `wippy_message.c` appends the counter
    /// as ``uniqString`` writes it.)
    public var textPrefix: String { node.isEmpty ? "{\(host)|" : "{\(node)@\(host)|" }

    public var description: String { "\(textPrefix)\(workflowID ?? uniqString)}" }

    public static func == (lhs: PID, rhs: PID) -> Bool {
        lhs.uniq == rhs.uniq && lhs.host == rhs.host && lhs.node == rhs.node
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(uniq)
    }
}
