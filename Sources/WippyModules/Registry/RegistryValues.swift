import HashTreeCollections
import WippyCore
import WippyLua
import WippyRuntime

/// Conversions between registry values and Lua: entry tables `{id, kind, meta, data}`, IDs (a `"ns:name"`
/// string or an `{ns =, name =}` table) and change lists.
enum RegistryValues {
    /// Pushes `entry` as a fresh table `{id = "ns:name", kind, meta, data}`.
    static func push(_ entry: Entry, state: LuaWorkerState, on lua: Lua) {
        // Built in place rather than through `entry.payload`: finds push thousands of these.
        lua.newTable(arrayCapacity: 0, fieldCapacity: 4)
        lua.push(entry.id.description)
        lua.rawSet(-2, key: "id")
        lua.push(entry.kind)
        lua.rawSet(-2, key: "kind")
        LuaValueConverter.push(.table(entry.meta), on: lua, state: state)
        lua.rawSet(-2, key: "meta")
        if case .null = entry.data { return }
        LuaValueConverter.push(entry.data, on: lua, state: state)
        lua.rawSet(-2, key: "data")
    }

    /// Pushes a sequence of entry tables.
    static func push(_ entries: [Entry], state: LuaWorkerState, on lua: Lua) {
        lua.newTable(arrayCapacity: Int32(entries.count), fieldCapacity: 0)
        for (index, entry) in entries.enumerated() {
            push(entry, state: state, on: lua)
            lua.rawSet(-2, index: Int64(index + 1))
        }
    }

    /// Pushes `{{kind = "entry.create", entry = {...}}, ...}`.
    static func push(_ changes: [RegistryChange], state: LuaWorkerState, on lua: Lua) {
        let payload = Payload.array(changes.map { change in
            .map([("kind", .string(change.kind.rawValue)), ("entry", change.entry.payload)])
        })
        LuaValueConverter.push(payload, on: lua, state: state)
    }

    /// The entry ID at `index`: a string or an `{ns, name}` table.
    static func id(at index: Int32, in lua: Lua, state: LuaWorkerState) throws(WippyError) -> EntryID {
        try id(from: LuaValueConverter.payload(at: index, in: lua, state: state))
    }

    /// An ID from a `"ns:name"` string or an `{ns =, name =}` table; both parts must be present.
    static func id(from value: Payload) throws(WippyError) -> EntryID {
        let id: EntryID
        if let text = value.stringValue {
            id = EntryID(parsing: text)
        } else if let table = value.tableValue, let ns = table["ns"]?.stringValue, let name = table["name"]?.stringValue {
            id = EntryID(namespace: ns, name: name)
        } else {
            throw WippyError.invalid("entry id must be a \"ns:name\" string or an {ns, name} table")
        }
        guard !id.namespace.isEmpty, !id.name.isEmpty else {
            throw WippyError.invalid("invalid entry id '\(id.namespace.isEmpty ? id.name : id.description)': expected ns:name")
        }
        return id
    }

    /// An entry from a table `{id, kind, meta, data}`: `id` and a non-empty string `kind` are required, `meta`
    /// must be a table when given.
    static func entry(from value: Payload) throws(WippyError) -> Entry {
        guard let table = value.tableValue else { throw WippyError.invalid("entry must be a table") }
        guard let idValue = table["id"] else { throw WippyError.invalid("entry id is required") }
        let id = try id(from: idValue)
        guard let kind = table["kind"]?.stringValue, !kind.isEmpty else {
            throw WippyError.invalid("entry \(id): kind must be a non-empty string")
        }
        var meta = PayloadTable(isObject: true)
        switch table["meta"] {
        case nil, .null?: break
        case .table(let given)?:
            guard given.array.isEmpty, given.fields.allSatisfy({ $0.key.stringValue != nil }) else {
                throw WippyError.invalid("entry \(id): meta must be a table with string keys")
            }
            meta = given
        default:
            throw WippyError.invalid("entry \(id): meta must be a table")
        }
        return Entry(id: id, kind: kind, meta: meta, data: table["data"] ?? .null)
    }

    /// Entries of a Lua list for `build_delta`: malformed items are skipped.
    static func entries(from value: Payload) -> RegistryEntries {
        var entries: RegistryEntries = [:]
        guard let table = value.tableValue else { return entries }
        for item in table.array {
            if let entry = try? entry(from: item) { entries[entry.id] = entry }
        }
        return entries
    }

    /// The registry of the runtime the calling worker belongs to.
    static func registry(of state: LuaWorkerState) throws(WippyError) -> Registry {
        guard let registry = state.runtime.registry else { throw WippyError.unavailable("no registry in this runtime") }
        return registry
    }
}
