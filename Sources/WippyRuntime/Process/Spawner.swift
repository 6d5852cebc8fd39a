public import WippyCore

/// What a Spawner (`process.with_context`, `process.with_options`) carries for the children it spawns:
/// context values, options, a name and messages to deliver right after the spawn (lua-api-core §6.5).
///
/// Immutable: every builder method makes a new one. Values were copied out of Lua when they were given, so
/// later changes to the Lua tables do not leak into children.
public final class Spawner: Sendable {
    /// The context children get: the creator's context with the values given to `with_context` laid over it.
    public let context: ExecutionContext
    /// Options from `with_options` (string keys; forwarded to the child's starter, opaque to the spawner).
    public let options: [String: Payload]
    /// `with_name`: spawn-or-signal under this local name.
    public let name: String?
    /// `with_message`: delivered to the child before anything else.
    public let messages: [(topic: String, payloads: [Payload])]
    /// The `memory_limit` option in bytes (0: none), or nil when not given (the host's limit applies).
    public let memoryLimit: Int?

    public init(
        context: ExecutionContext, options: [String: Payload] = [:], name: String? = nil,
        messages: [(topic: String, payloads: [Payload])] = []
    ) {
        self.context = context
        self.options = options
        self.name = name
        self.messages = messages
        memoryLimit = options["memory_limit"].flatMap { value in
            (try? MemorySize.processLimit(value, name: "memory_limit")).map { Int($0) }
        }
    }

    func with(
        context: ExecutionContext? = nil, options: [String: Payload]? = nil, name: String? = nil,
        message: (topic: String, payloads: [Payload])? = nil
    ) -> Spawner {
        Spawner(
            context: context ?? self.context, options: options ?? self.options, name: name ?? self.name,
            messages: message.map { messages + [$0] } ?? messages)
    }
}

extension ExecutionContext {
    /// This context with `values` laid over its own (the new values win).
    public func merging(_ values: [String: Payload]) -> ExecutionContext {
        guard !values.isEmpty else { return self }
        var merged = self
        merged.values.merge(values) { $1 }
        return merged
    }
}
