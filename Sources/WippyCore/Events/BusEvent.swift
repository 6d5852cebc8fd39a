/// An event on the bus: which system sent it, what kind of event it is, what it is about, and a value.
public struct BusEvent: Sendable, Equatable, CustomStringConvertible {
    public var system: String
    public var kind: String
    public var path: String
    public var data: Payload

    public init(system: String, kind: String, path: String, data: Payload = .null) {
        self.system = system
        self.kind = kind
        self.path = path
        self.data = data
    }

    public var description: String { "\(system)/\(kind) \(path)" }
}
