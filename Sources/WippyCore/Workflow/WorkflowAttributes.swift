/// What a run recorded about itself for people and tools: `workflow.attrs{search=, memo=}` and the query
/// values of `workflow.expose(name, value)`. Each call is a journaled `attrs` command (so a replay, an
/// evicted run or `wippy workflow show` reading the store sees the same values); this folds them: the
/// latest value of each key of each section.
public struct WorkflowAttributes: Sendable, Equatable {
    /// The sections, in this order when present.
    public static let sections = ["search", "memo", "query"]

    /// The keys of each section (in the order they were first set) with their latest values.
    public private(set) var values: [String: [(key: String, value: Payload)]] = [:]

    public init() {}

    /// Folds the `attrs` commands of `journal`.
    public init(journal: [JournalEvent]) {
        for event in journal where event.kind == "attrs" {
            guard let payload = try? WorkflowJournalCodec.decodeCommand(event.payload) else { continue }
            apply(payload)
        }
    }

    /// Lays one `attrs` command's payload (`{search = {...}, memo = {...}, query = {...}}`) over the values.
    public mutating func apply(_ payload: Payload) {
        for section in WorkflowAttributes.sections {
            guard let fields = payload[section]?.tableValue?.fields else { continue }
            var current = values[section] ?? []
            for field in fields {
                guard let key = field.key.stringValue else { continue }
                if let index = current.firstIndex(where: { $0.key == key }) {
                    current[index].value = field.value
                } else {
                    current.append((key, field.value))
                }
            }
            values[section] = current
        }
    }

    public var isEmpty: Bool { values.values.allSatisfy(\.isEmpty) }

    /// `{search = {...}, memo = {...}, query = {...}}` with the sections that have values.
    public var payload: Payload {
        .map(WorkflowAttributes.sections.compactMap { section in
            guard let fields = values[section], !fields.isEmpty else { return nil }
            return (section, .map(fields.map { ($0.key, $0.value) }))
        })
    }

    public static func == (lhs: WorkflowAttributes, rhs: WorkflowAttributes) -> Bool { lhs.payload == rhs.payload }
}
