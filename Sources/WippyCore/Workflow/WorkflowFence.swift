/// A node's hold on a run in a store shared by several nodes: the node's name and the fencing generation
/// its claim got. Every claim of a run raises its generation by one, so a node that lost its lease (it
/// stalled, another node took the run over) holds an old generation, and the store refuses its writes.
public struct WorkflowFence: Sendable, Hashable, CustomStringConvertible {
    /// The node that holds the run (its name in the cluster).
    public var owner: String
    /// The run's generation when that node claimed it; 1 for the node that started the run.
    public var generation: UInt64

    public init(owner: String, generation: UInt64) {
        self.owner = owner
        self.generation = generation
    }

    /// `node generation G`, as errors print it.
    public var description: String { "\(owner) generation \(generation)" }
}
