public import WippyCore

/// One message on a queue: a driver-assigned ID, the body (plain data) and string-keyed scalar headers.
public struct QueueMessage: Sendable, Equatable {
    public var id: String
    public var body: Payload
    public var headers: [String: Payload]

    public init(id: String, body: Payload, headers: [String: Payload] = [:]) {
        self.id = id
        self.body = body
        self.headers = headers
    }
}

/// A simple first-in first-out buffer (an array with a moving head, compacted as it drains).
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(_ item: Element) { items.append(item) }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head >= 64 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return item
    }

    mutating func removeAll() -> [Element] {
        let rest = Array(items[head...])
        items = []
        head = 0
        return rest
    }
}
