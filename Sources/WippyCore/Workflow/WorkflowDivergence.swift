/// Code that no longer matches its journal: at `seq` the journal holds `expected`, and the code asked for
/// `actual` (nil when it ended, or blocked for good, where the journal still has commands). The run is put in
/// `blocked`, never replayed wrong.
public struct WorkflowDivergence: Sendable, Equatable, CustomStringConvertible {
    public var seq: UInt64
    /// The journaled command, as `kind key`.
    public var expected: String
    /// What the code did instead, as `kind key`, or "the workflow returned".
    public var actual: String

    public init(seq: UInt64, expected: String, actual: String) {
        self.seq = seq
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        "nondeterminism at journal seq \(seq): expected \(expected), the code did \(actual)"
    }
}
