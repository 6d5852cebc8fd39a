import WippyCore

/// What a store's writer queue takes: a journal write or a signal to record. Both are committed in the
/// writer's group commits; a signal's outcome is its id, a write's 0.
enum WorkflowStoreItem: Sendable {
    case write(WorkflowWrite)
    case signal(NewSignal)

    /// A signal to record (its id comes from the store).
    struct NewSignal: Sendable {
        var workflowID: String
        var topic: String
        var sender: String
        var payload: [UInt8]
    }

    /// How errors name the item.
    var what: String {
        switch self {
        case .write(let write): "\(write.run)"
        case .signal(let signal): "a signal for workflow \(signal.workflowID)"
        }
    }
}
