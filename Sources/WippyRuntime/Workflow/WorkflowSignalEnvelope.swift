public import WippyCore

/// What a store signal row carries (``WorkflowSignalStore``): a message for the workflow, or an operator's
/// cancel or terminate for a run that is not in memory on the node that got the request. The row's topic
/// says which (`@cancel`, `@terminate` are reserved: a message topic never starts with `@` here, because
/// the row's payload holds the message with its own topic).
public enum WorkflowSignalEnvelope: Sendable {
    case message(Message)
    case cancel(from: PID?, reason: String)
    case terminate

    static let cancelTopic = "@cancel"
    static let terminateTopic = "@terminate"

    /// The row's topic and payload.
    public var row: (topic: String, sender: String, payload: [UInt8]) {
        switch self {
        case .message(let message):
            return (message.topic, message.from?.description ?? "", (try? PayloadArchive.encode(WorkflowSession.encode(message))) ?? [])
        case .cancel(let from, let reason):
            return (Self.cancelTopic, from?.description ?? "", (try? PayloadArchive.encode(.string(reason))) ?? [])
        case .terminate:
            return (Self.terminateTopic, "", [])
        }
    }

    /// The envelope a row holds.
    public static func decode(_ signal: WorkflowSignal) -> WorkflowSignalEnvelope {
        let body = (try? PayloadArchive.decode(signal.payload)) ?? .null
        let sender = signal.sender.isEmpty ? nil : PID(parsing: signal.sender)
        switch signal.topic {
        case cancelTopic: return .cancel(from: sender, reason: body.stringValue ?? "")
        case terminateTopic: return .terminate
        default:
            let payloads = body["payloads"]?.tableValue?.array ?? []
            return .message(Message(from: sender, topic: body["topic"]?.stringValue ?? signal.topic, payloads: payloads))
        }
    }
}
