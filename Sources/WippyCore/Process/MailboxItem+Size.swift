/// Estimates of the memory mailbox items hold, for the receiver's memory limit (a queued message counts
/// toward it, as BEAM's `max_heap_size` counts the message queue).
///
/// An estimate, not a measurement: object headers and the heap allocations Swift makes for arrays and for
/// strings longer than 15 bytes, with the sizes of Swift's 64-bit layouts. It is meant to be within a small
/// factor of the truth and the same every time for one item (the mailbox adds it on arrival and takes it off
/// on removal).
extension MailboxItem {
    /// About how many bytes this item holds while it waits in a mailbox (its slot included).
    public var estimatedBytes: Int {
        switch self {
        case .message(let message): return message.estimatedBytes
        case .event(let event): return MailboxItem.estimate(event)
        }
    }

    /// Mailbox slot, `Message` object, its topic and payload array.
    static func estimate(topic: String, payloads: [Payload]) -> Int {
        var total = 16 + 64 + stringHeap(topic)
        if !payloads.isEmpty { total += 32 }
        for payload in payloads { total += estimate(payload) }
        return total
    }

    static func estimate(_ event: ProcessEvent) -> Int {
        let base = 16 + 64
        switch event {
        case .exit(_, let result), .linkDown(_, let result):
            return base + estimate(result.value) + (result.error.map { estimate(Payload.error($0)) } ?? 0)
        case .cancel(_, let reason):
            return base + stringHeap(reason)
        case .outdated(let sources):
            return base + 32 + sources.reduce(0) { $0 + 16 + stringHeap($1) }
        }
    }

    /// A payload: its slot in an array (24 bytes), plus what it allocates.
    static func estimate(_ payload: Payload) -> Int {
        switch payload {
        case .null, .bool, .int, .double, .reference:
            return 24
        case .string(let string):
            return 24 + stringHeap(string)
        case .bytes(let bytes):
            return 24 + 32 + bytes.count
        case .table(let table):
            var total = 24 + 32
            if !table.array.isEmpty { total += 32 }
            for item in table.array { total += estimate(item) }
            if !table.fields.isEmpty { total += 32 }
            for field in table.fields { total += estimate(field.key) + estimate(field.value) }
            return total
        case .error(let error):
            return 24 + 96 + stringHeap(error.message) + (error.details.map(estimate) ?? 0)
                + error.context.reduce(0) { $0 + 16 + stringHeap($1) }
        }
    }

    /// Bytes a string allocates: nothing up to 15 UTF-8 bytes (stored inline), else a header and its bytes.
    @inline(__always)
    static func stringHeap(_ string: String) -> Int {
        let count = string.utf8.count
        return count <= 15 ? 0 : 32 + count
    }
}
