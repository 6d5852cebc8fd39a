extension ServiceState {
    /// The state as Wippy reports it: `{id, status, desired, retry_count, last_update, started_at, details}`
    /// (times in Unix nanoseconds), plus `dependencies` and `pid` when known.
    public var payload: Payload { .map(payloadFields) }

    public var payloadFields: [(String, Payload)] {
        var fields: [(String, Payload)] = [
            ("id", .string(id.description)), ("status", .string(status.rawValue)), ("desired", .string(desired.rawValue)),
            ("retry_count", .int(Int64(retryCount))), ("last_update", .int(lastUpdate)), ("details", .string(details)),
        ]
        if let startedAt { fields.append(("started_at", .int(startedAt))) }
        if !dependencies.isEmpty { fields.append(("dependencies", .array(dependencies.map { .string($0.description) }))) }
        if let process { fields.append(("pid", .string(process.description))) }
        return fields
    }

    /// The `supervisor` bus event announcing this state (`service.update`, path = service ID).
    public var event: BusEvent {
        BusEvent(system: "supervisor", kind: "service.update", path: id.description, data: payload)
    }
}
