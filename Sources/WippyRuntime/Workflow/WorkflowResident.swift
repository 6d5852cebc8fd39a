import WippyCore

/// A run an engine holds in memory (or is bringing into memory, or is letting go of).
struct Resident: Sendable {
    var run: WorkflowRunID
    /// The node's hold on the run in a shared store; nil for a single-node store, or once lost.
    var fence: WorkflowFence?
    /// Wakes the run's session from any thread (set once its process started).
    var poke: (@Sendable (WorkflowPoke) -> Void)?
    /// A wake-up came before the session could take one: it reads the store's signals as soon as it can.
    var pokeWanted = false
    /// The run is leaving memory (evicted, lost): its process ends next.
    var leaving = false

    init(run: WorkflowRunID, fence: WorkflowFence?) {
        self.run = run
        self.fence = fence
    }
}
