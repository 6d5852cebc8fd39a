public import HashTreeCollections

/// Finds the entries an entry refers to, for ordering changes and services.
///
/// A *dependency pattern* is a dotted path into the entry's `{meta, data}` document; `*` segments fan out
/// over map values and list items. Strings found at the end of a path (also inside lists, and the string
/// values of maps) are references: `ns:name`, a `name` relative to the entry's namespace, `group:<name>`
/// (every entry whose `meta.groups` contains it) or `ns:<namespace>` (every entry of the namespace).
/// References to entries that do not exist are ignored.
public struct DependencyResolver: Sendable {
    /// The paths Wippy registers (core, supervisor, hosts and services, functions, HTTP, queues, ...).
    public static let standardPatterns: [String] = [
        "meta.parent", "meta.depends_on", "meta.groups", "data.config", "data.groups", "data.imports.*",
        "data.*.depends_on", "data.lifecycle.requires", "data.lifecycle.depends_on", "meta.server", "meta.router",
        "data.server", "data.middleware", "data.post_middleware", "data.network", "data.host", "data.process",
        "data.func", "data.fs", "data.storage", "data.storages", "data.env", "data.driver", "data.queue",
        "data.dead_letter.queue", "data.set", "data.store", "data.token_store",
    ]

    private let patterns: [[String]]

    public init(patterns: [String] = DependencyResolver.standardPatterns) {
        self.patterns = patterns.map { $0.split(separator: ".").map(String.init) }
    }

    /// The IDs of existing entries (in `state`) that `entry` refers to, excluding itself, sorted.
    public func dependencies(of entry: Entry, in state: RegistryEntries) -> [EntryID] {
        var found = Set<EntryID>()
        for reference in references(of: entry) {
            for id in resolve(reference, from: entry, in: state) where id != entry.id { found.insert(id) }
        }
        for name in DependencyResolver.placeholderNames(in: entry.data) {
            for id in resolvePlaceholder(name, from: entry, in: state) where id != entry.id { found.insert(id) }
        }
        return found.sorted()
    }

    /// The variable names of the `${env:NAME}`, `${env:NAME|default}` and `${NAME|default}` placeholders in
    /// the strings of `value` (an entry that uses one is applied after the `env.variable` it names).
    public static func placeholderNames(in value: Payload) -> [String] {
        var names: [String] = []
        func scan(_ value: Payload) {
            switch value {
            case .string(let text):
                guard text.contains("${") else { return }
                var rest = Substring(text)
                while let dollar = rest.firstIndex(of: "$") {
                    let after = rest[rest.index(after: dollar)...]
                    if after.hasPrefix("${") {
                        rest = after.dropFirst(2)
                        continue
                    }
                    guard after.hasPrefix("{") else {
                        rest = after
                        continue
                    }
                    let body = after.dropFirst()
                    guard let close = body.firstIndex(of: "}") else { return }
                    rest = body[body.index(after: close)...]
                    var inner = body[..<close]
                    let hasDefault = inner.contains("|")
                    if let bar = inner.firstIndex(of: "|") { inner = inner[..<bar] }
                    if inner.hasPrefix("env:") {
                        if inner.count > 4 { names.append(String(inner.dropFirst(4))) }
                    } else if hasDefault, !inner.isEmpty {
                        names.append(String(inner))
                    }
                }
            case .table(let table):
                table.array.forEach(scan)
                table.fields.forEach { scan($0.value) }
            default: break
            }
        }
        scan(value)
        return names
    }

    /// The `env.variable` entries a placeholder name designates: an entry ID, or the public `variable` name.
    private func resolvePlaceholder(_ name: String, from entry: Entry, in state: RegistryEntries) -> [EntryID] {
        if name.contains(":") {
            let id = EntryID.resolve(name, in: entry.id.namespace)
            return state[id] != nil ? [id] : []
        }
        return state.values.filter { $0.kind == "env.variable" && $0.data["variable"]?.stringValue == name }.map(\.id)
    }

    /// The raw reference strings of `entry`.
    public func references(of entry: Entry) -> [String] {
        let document = Payload.map([("meta", .table(entry.meta)), ("data", entry.data)])
        var strings: [String] = []
        for path in patterns { collect(document, path: path[...], into: &strings) }
        return strings
    }

    private func collect(_ value: Payload, path: ArraySlice<String>, into strings: inout [String]) {
        guard let segment = path.first else {
            leaves(value, into: &strings)
            return
        }
        guard case .table(let table) = value else { return }
        let rest = path.dropFirst()
        if segment == "*" {
            for item in table.array { collect(item, path: rest, into: &strings) }
            for field in table.fields { collect(field.value, path: rest, into: &strings) }
        } else if let next = table[segment] {
            collect(next, path: rest, into: &strings)
        }
    }

    private func leaves(_ value: Payload, into strings: inout [String]) {
        switch value {
        case .string(let text): if !text.isEmpty { strings.append(text) }
        case .table(let table):
            for item in table.array { if let text = item.stringValue, !text.isEmpty { strings.append(text) } }
            for field in table.fields { if let text = field.value.stringValue, !text.isEmpty { strings.append(text) } }
        default: break
        }
    }

    private func resolve(_ reference: String, from entry: Entry, in state: RegistryEntries) -> [EntryID] {
        if reference.hasPrefix("group:") {
            let group = String(reference.dropFirst(6))
            return state.values.filter { candidate in
                candidate.meta["groups"]?.tableValue?.array.contains { $0.stringValue == group } ?? false
            }.map(\.id)
        }
        if reference.hasPrefix("ns:") {
            let namespace = String(reference.dropFirst(3))
            return state.keys.filter { $0.namespace == namespace }
        }
        let id = EntryID.resolve(reference, in: entry.id.namespace)
        return state[id] != nil ? [id] : []
    }

    /// Orders changes for applying: deletes first, dependants before their dependencies (by `before`, the
    /// state they are removed from); then creates and updates, dependencies first (by `after`, the state
    /// they lead to). Ties, and cycles, fall back to ID order.
    public func order(_ changes: [RegistryChange], before: RegistryEntries, after: RegistryEntries) -> [RegistryChange] {
        if changes.count < 2 { return changes }
        let deletes = changes.filter { $0.kind == .delete }
        let others = changes.filter { $0.kind != .delete }
        let deleteOrder = topological(deletes.map(\.id), state: before).reversed()
        let otherOrder = topological(others.map(\.id), state: after)
        let deleteByID = Dictionary(deletes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var result = deleteOrder.compactMap { deleteByID[$0] }
        // An ID can appear twice among creates/updates only if the caller repeated it; keep the given order
        // for repeats.
        var remaining = others
        for id in otherOrder {
            if let index = remaining.firstIndex(where: { $0.id == id }) { result.append(remaining.remove(at: index)) }
        }
        result.append(contentsOf: remaining)
        return result
    }

    /// `ids` with each one after the ids it depends on (in `state`); lexicographic among equals.
    private func topological(_ ids: [EntryID], state: RegistryEntries) -> [EntryID] {
        let members = Set(ids)
        var dependsOn: [EntryID: Set<EntryID>] = [:]
        var dependants: [EntryID: [EntryID]] = [:]
        for id in members {
            guard let entry = state[id] else {
                dependsOn[id] = []
                continue
            }
            let deps = Set(dependencies(of: entry, in: state).filter { members.contains($0) })
            dependsOn[id] = deps
            for dep in deps { dependants[dep, default: []].append(id) }
        }
        var ready = members.filter { dependsOn[$0]?.isEmpty ?? true }.sorted(by: >)
        var result: [EntryID] = []
        var remainingCount = dependsOn.mapValues(\.count)
        while let next = ready.popLast() {
            result.append(next)
            for dependant in dependants[next] ?? [] {
                remainingCount[dependant, default: 0] -= 1
                if remainingCount[dependant] == 0 {
                    ready.append(dependant)
                    ready.sort(by: >)
                }
            }
        }
        if result.count < members.count {
            let placed = Set(result)
            result.append(contentsOf: members.subtracting(placed).sorted())
        }
        return result
    }
}
