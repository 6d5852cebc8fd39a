public import HashTreeCollections

/// Building, combining and reversing changesets.
public enum RegistryDelta {
    /// The changes that turn `old` into `new`: deletes for IDs only in `old`, creates for IDs only in `new`,
    /// updates for entries whose value differs (the registry orders them before applying).
    public static func between(_ old: RegistryEntries, _ new: RegistryEntries) -> [RegistryChange] {
        var changes: [RegistryChange] = []
        for (id, entry) in old where new[id] == nil {
            changes.append(RegistryChange(kind: .delete, entry: entry, original: entry))
        }
        for (id, entry) in new {
            if let previous = old[id] {
                if previous != entry {
                    if previous.kind != entry.kind {
                        // an update may not change the kind: delete, then create
                        changes.append(RegistryChange(kind: .delete, entry: previous, original: previous))
                        changes.append(.create(entry))
                    } else {
                        changes.append(RegistryChange(kind: .update, entry: entry, original: previous))
                    }
                }
            } else {
                changes.append(.create(entry))
            }
        }
        return changes.sorted { $0.id < $1.id }
    }

    /// The final effect of `changes` applied in order, one change per entry: create+update is a create of
    /// the new value, create+delete is nothing, update+delete is a delete, delete+create is an update.
    public static func squash(_ changes: [RegistryChange]) -> [RegistryChange] {
        var order: [EntryID] = []
        var net: [EntryID: RegistryChange?] = [:]
        for change in changes {
            let id = change.id
            guard let existing = net[id] else {
                order.append(id)
                net[id] = change
                continue
            }
            guard let previous = existing else {
                // an earlier create+delete cancelled out: this change stands alone
                net[id] = change
                continue
            }
            switch (previous.kind, change.kind) {
            case (.create, .update): net[id] = .create(change.entry)
            case (.create, .delete): net[id] = .some(nil)
            case (.update, .update): net[id] = RegistryChange(kind: .update, entry: change.entry, original: previous.original)
            case (.update, .delete): net[id] = RegistryChange(kind: .delete, entry: change.entry, original: previous.original)
            case (.delete, .create):
                net[id] = RegistryChange(kind: .update, entry: change.entry, original: previous.original ?? previous.entry)
            default: net[id] = change
            }
        }
        return order.compactMap { net[$0] ?? nil }
    }

    /// Applies `changes` to `entries` as plain puts and removes (no validation): boot replay.
    public static func replay(_ changes: [RegistryChange], onto entries: inout RegistryEntries) {
        for change in changes {
            switch change.kind {
            case .create, .update: entries[change.id] = change.entry
            case .delete: entries[change.id] = nil
            }
        }
    }
}
