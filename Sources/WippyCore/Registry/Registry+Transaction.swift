import HashTreeCollections

/// The steps of one registry transaction: ordering and preparing the changes, naming the entry in errors,
/// publishing the events.
extension Registry {
    /// Validates, orders and prepares every change, deferring `NotFound` rejections to later passes.
    func prepareAll(
        _ changes: [RegistryChange], transaction: RegistryTransaction, handlers: [any RegistryParticipant],
        expander: (any RegistryEntryExpander)? = nil
    ) throws(WippyError)
    {
        var pending = changes
        if changes.count > 1 {
            // The state the changes lead to, for ordering creates and updates by their references.
            var target = transaction.working
            for change in changes {
                switch change.kind {
                case .create, .update: target[change.id] = change.entry
                case .delete: target[change.id] = nil
                }
            }
            pending = resolver.order(changes, before: transaction.working, after: target)
        }
        var deferred: [(RegistryChange, WippyError)] = []
        while true {
            var progress = false
            deferred = []
            for change in pending {
                let prepared = try validate(change, against: transaction.working)
                if let handler = handlers.first(where: { $0.handles(kind: prepared.entry.kind) }) {
                    do {
                        var handed = prepared
                        if let expander, prepared.kind != .delete { handed.entry = try expander.expand(prepared.entry, in: transaction) }
                        try handler.prepare(handed, in: transaction)
                    } catch where error.kind == .notFound {
                        deferred.append((change, error))
                        continue
                    } catch {
                        throw named(error, prepared.entry)
                    }
                } else if !Registry.internalKinds.contains(prepared.entry.kind) {
                    throw named(WippyError.invalid("unknown kind '\(prepared.entry.kind)'"), prepared.entry)
                }
                switch prepared.kind {
                case .create, .update: transaction.working[prepared.id] = prepared.entry
                case .delete: transaction.working[prepared.id] = nil
                }
                transaction.applied.append(prepared)
                progress = true
            }
            if deferred.isEmpty { return }
            if !progress {
                if deferred.count == 1 { throw named(deferred[0].1, deferred[0].0.entry) }
                let ids = deferred.map(\.0.id.description).joined(separator: ", ")
                let first = deferred[0]
                throw WippyError(
                    "unresolved dependencies: \(ids) (first: \(named(first.1, first.0.entry).message))", kind: .notFound,
                    retryable: false)
            }
            pending = deferred.map(\.0)
        }
    }

    /// Checks a change against the working state and fills in originals.
    func validate(_ change: RegistryChange, against state: RegistryEntries) throws(WippyError) -> RegistryChange {
        var change = change
        switch change.kind {
        case .create:
            if state[change.id] != nil { throw WippyError("entry \(change.id) already exists", kind: .alreadyExists, retryable: false) }
            if change.entry.kind.isEmpty { throw WippyError.invalid("entry \(change.id): kind is required") }
        case .update:
            guard let existing = state[change.id] else { throw WippyError.notFound("entry \(change.id) does not exist") }
            if existing.kind != change.entry.kind {
                throw WippyError.invalid(
                    "entry \(change.id): an update cannot change the kind (\(existing.kind) to \(change.entry.kind)); delete and create instead")
            }
            change.original = existing
        case .delete:
            guard let existing = state[change.id] else { throw WippyError.notFound("entry \(change.id) does not exist") }
            change.entry = existing
            change.original = existing
        }
        return change
    }

    /// `error` with the entry (and its file and line, when known) in front, unless it already names it.
    func named(_ error: WippyError, _ entry: Entry) -> WippyError {
        var error = error
        let id = entry.id.description
        // A message that names the entry already says where it is (a compile error names the source file).
        guard !error.message.contains(id) else { return error }
        let place = entry.origin.map { "\($0): " } ?? ""
        error.message = "\(place)entry \(id): \(error.message)"
        return error
    }

    /// Registry events: one per applied change, then `registry.commit` with the version.
    func publish(_ transaction: RegistryTransaction) {
        guard let bus else { return }
        var events = transaction.applied.map { change in
            BusEvent(system: "registry", kind: change.kind.rawValue, path: change.id.description, data: change.entry.payload)
        }
        events.append(
            BusEvent(
                system: "registry", kind: "registry.commit", path: "registry.tx/\(transaction.number)",
                data: .map([
                    ("version", .int(Int64(transaction.version ?? snapshot.version))),
                    ("origin", .string(transaction.origin.rawValue)),
                    ("changes", .int(Int64(transaction.applied.count))),
                ])))
        bus.send(contentsOf: events)
    }
}

extension Entry {
    /// The entry as a payload: `{id, kind, meta, data}`.
    public var payload: Payload {
        .map([("id", .string(id.description)), ("kind", .string(kind)), ("meta", .table(meta)), ("data", data)])
    }
}
